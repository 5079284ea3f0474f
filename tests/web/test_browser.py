"""The dashboard in a real browser: Debian's chromium, headless, against the bot's own start-up
path (``start_if_enabled`` with a real pipeline, downloads from the local media server).

One test walks what an operator does: sign in, watch a download queued through the API appear,
its progress bar move and the job finish, with no reload; cancel a second, slow download from
the page with the keyboard; look at the other pages. It saves the screenshots docs/operations.md
shows (docs/img/dashboard-*.png), and fails on any error in the browser's console (a CSP
violation, a failed request, a script error).
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest

from boss_bot.http import start_if_enabled
from tests.bot.pipeline_support import StartPipeline, eventually, start_pipeline  # noqa: F401
from tests.http.conftest import API_TOKENS, RW_TOKEN, auth
from tests.support.media import make_mp4
from tests.support.media_server import MediaServer
from tests.web.browser import Browser, chromium
from tests.web.conftest import distributed
from tests.web.seed import change_a_server, seed_week

#: Screenshots are test artefacts (tests/artefacts/, ignored by git); `make screenshots` runs
#: this test with BOSS_DOCS_SCREENSHOTS=1 to refresh the ones docs/operations.md shows.
ROOT = Path(__file__).resolve().parents[2]
IMG = ROOT / ("docs/img" if os.environ.get("BOSS_DOCS_SCREENSHOTS") else "tests/artefacts")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def slow_clip(media_server: MediaServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A ~380 KB clip: dripped (16 KiB every 0.2 s) it downloads in ~5 s, long enough for the
    tools' progress reports (about one every 0.8 s) to move the bar several times."""
    path = make_mp4(tmp_path_factory.mktemp("web") / "web-clip.mp4", seconds=3, noise=True,
                    bitrate="1000k")  # fmt: skip
    media_server.add_file("web-clip.mp4", path, "video/mp4")
    return media_server.url("slow/web-clip.mp4")


async def queue(client: httpx.AsyncClient, url: str) -> str:
    r = await client.post("/api/v1/downloads", json={"urls": [url]}, headers=auth())
    assert r.status_code == 202, r.text
    return str(r.json()["jobs"][0]["id"])


async def status_of(browser: Browser, job_id: str) -> str | None:
    return await browser.js(  # type: ignore[no-any-return]
        "const r = document.getElementById(arguments[0]); return r && r.dataset.status;",
        f"job-{job_id}",
    )


async def progress_of(browser: Browser, job_id: str) -> float | None:
    """The row's progress bar, 0–1 (None: no bar with a value)."""
    return await browser.js(  # type: ignore[no-any-return]
        "const p = document.querySelector('#' + arguments[0] + ' progress[value]');"
        "return p ? p.value / p.max : null;",
        f"job-{job_id}",
    )


async def tab_to(browser: Browser, element_id: str, limit: int = 60) -> None:
    """Press Tab until ``element_id`` has the focus (bounded): the page works by keyboard."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    await browser.js("document.activeElement && document.activeElement.blur(); window.focus();")
    for _ in range(limit):
        await browser.call(ActionChains(browser.driver).send_keys(Keys.TAB).perform)
        if await browser.js("return document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


async def test_an_operator_watches_and_cancels_downloads_in_a_real_browser(
    start_pipeline: StartPipeline,  # noqa: F811
    media_server: MediaServer,
    slow_clip: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium: use the given driver, fetch nothing
    pipeline = await start_pipeline(
        api_tokens=API_TOKENS, http_enabled=True, http_host="127.0.0.1", http_port=0
    )
    server = await start_if_enabled(pipeline.settings, pipeline.store, pipeline=pipeline)
    assert server is not None
    # A week of finished jobs and a server's changed settings, so History, Stats and Servers
    # have something to show (the live part below is all real downloads).
    await seed_week(pipeline.store)
    await change_a_server(pipeline.store, pipeline.settings)
    try:
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=30) as api,
            chromium(1000, 700) as browser,
        ):
            # Sign in: the page asks for the token, then comes back to the live jobs.
            await browser.get(f"{server.url}/")
            assert "/signin" in await browser.js("return location.pathname")
            await browser.js(
                "document.getElementById('token').value = arguments[0];"
                "document.querySelector('form[action=\"/signin\"]').submit();",
                RW_TOKEN,
            )
            await browser.until("return location.pathname === '/' && document.querySelector('h1')"
                                " && document.querySelector('h1').textContent === 'Live jobs'")  # fmt: skip
            await browser.js("window.notReloaded = true;")  # gone if the page reloads

            # A download queued through the API appears, its bar moves, it finishes.
            first = await queue(api, slow_clip)
            await browser.until("return !!document.getElementById(arguments[0])", f"job-{first}")
            seen: list[float] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # bounded
                finished = await status_of(browser, first) == "succeeded"
                # The bar is read after the status: the update that finishes the row also fills its
                # bar, so a bar read just before a "succeeded" would miss the last value.
                value = await progress_of(browser, first)
                if value is not None and (not seen or value != seen[-1]):
                    seen.append(value)
                if finished:
                    break
                await asyncio.sleep(0.05)
            assert await status_of(browser, first) == "succeeded"
            partial = [v for v in seen if v < 1]
            assert len(partial) >= 2 and partial == sorted(partial), seen  # it moved forward
            assert seen[-1] == 1  # and ends full
            assert await browser.js("return window.notReloaded === true")
            assert (await pipeline.store.queue.get(first)).status == "succeeded"  # type: ignore[union-attr]

            # A second, slow download: cancelled from the page, by keyboard.
            second = await queue(api, media_server.url("slow/big.mp4"))  # ~15 s of drip
            await browser.until(
                "const p = document.querySelector('#' + arguments[0] + ' progress[value]');"
                "return p && p.value > 0;",
                f"job-{second}",
            )
            assert await browser.js("return window.notReloaded === true")
            await browser.screenshot(IMG / "dashboard-jobs.png")
            await tab_to(browser, f"cancel-{second}")  # focus survives the live updates
            from selenium.webdriver.common.action_chains import ActionChains
            from selenium.webdriver.common.keys import Keys

            await browser.call(ActionChains(browser.driver).send_keys(Keys.ENTER).perform)
            await browser.until(
                "return document.querySelector('.notice') &&"
                " document.querySelector('.notice').textContent.includes('cancelled')"
            )

            async def cancelled() -> bool:
                job = await pipeline.store.queue.get(second)
                return job is not None and job.status == "cancelled"

            await eventually(cancelled, timeout=10)
            await browser.until("return document.getElementById(arguments[0]).dataset.status"
                                " === 'cancelled'", f"job-{second}")  # fmt: skip
            assert not pipeline.is_running(second)

            # The other pages, one screenshot each (scrolled to what the page is for).
            for name, path, ready, show in (
                ("job", f"/jobs/{first}", "#job-live", "body"),
                ("history", "/history", "table.history", "body"),
                ("stats", "/stats", "#chart-jobs svg", ".charts"),
                ("servers", "/servers", "section", "body"),
            ):
                await browser.get(f"{server.url}{path}")
                await browser.until("return !!document.querySelector(arguments[0])", ready)
                await browser.js("document.querySelector(arguments[0]).scrollIntoView()", show)
                await browser.screenshot(IMG / f"dashboard-{name}.png")

            # A distributed-mode process's workers page (the same session: same tokens).
            async with distributed(pipeline.settings, pipeline.store) as cluster:
                await browser.get(f"{cluster.url}/workers")
                await browser.until("return document.querySelectorAll('section.worker').length"
                                    " === 2")  # fmt: skip
                await browser.screenshot(IMG / "dashboard-workers.png")

            # A phone-sized screen: nothing wider than the screen.
            await browser.call(browser.driver.set_window_size, 390, 844)
            await browser.get(f"{server.url}/")
            assert await browser.js(
                "return document.documentElement.scrollWidth <= window.innerWidth + 1"
            )
            assert await browser.console_errors() == []
    finally:
        await server.stop()
