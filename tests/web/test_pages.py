"""Every page over real HTTP: what it shows, escaping, the headers (CSP, caching), and that the
API under /api/v1 is what it was."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from boss_bot.core.events import EventBus
from boss_bot.core.jobs import JobRequest
from boss_bot.core.settings import BossSettings
from boss_bot.core.stats_text import stats_fields
from boss_bot.core.store import open_store
from boss_bot.http import OPENAPI_URL, Services
from boss_bot.http.auth import api_user_id
from boss_bot.http.web.render import CSP, STATIC
from tests.http.conftest import API_TOKENS, serve
from tests.web.conftest import Api, distributed, enqueue
from tests.web.seed import GUILD, add_file, add_job, add_metrics, change_a_server, seed_week

EVIL_URL = "https://example.com/<script>alert(1)</script>?a=1&b=<b>"
EVIL_ERROR = '<img src=x onerror="alert(2)"> & </p>'
TAG = re.compile(r"<[a-zA-Z][^>]*>")
INLINE = [
    re.compile(r"^<script(?![^>]*\ssrc=)", re.I),  # a script without src
    re.compile(r"^<style", re.I),
    re.compile(r"\sstyle=", re.I),
    re.compile(r"\son[a-z]+=", re.I),  # event-handler attributes
    re.compile(r"javascript:", re.I),
]


def assert_page(html: str) -> None:
    """No tag with inline code or style (the CSP would block it), and nothing unescaped from
    the evil job (its text may say "onerror=", as text)."""
    for tag in TAG.findall(html):
        for pattern in INLINE:
            assert not pattern.search(tag), tag
    assert "<script>alert" not in html and "<img src=x" not in html


async def test_pages_carry_the_csp_and_no_inline_code(signed_in: Api) -> None:
    (job,) = await enqueue(signed_in)
    for path in ("/", "/history", "/stats", "/workers", "/servers", f"/jobs/{job.id}", "/signin"):
        r = await signed_in.client.get(path)
        assert r.status_code in (200, 303), path
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"
        if r.status_code == 200:
            assert_page(r.text)
            assert '"includeIndicatorStyles": false' in r.text  # htmx injects no <style>
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                      "frame-ancestors 'none'"):  # fmt: skip
        assert directive in CSP
    assert "unsafe" not in CSP


async def test_a_script_in_a_job_renders_as_text_everywhere(signed_in: Api) -> None:
    queued = await signed_in.store.queue.enqueue(JobRequest(url=EVIL_URL, user_id=5))
    failed = await add_job(signed_in.store, url=EVIL_URL, status="failed",
                           error_code="blocked_url", error_message=EVIL_ERROR)  # fmt: skip
    escaped = "https://example.com/&lt;script&gt;alert(1)&lt;/script&gt;?a=1&amp;b=&lt;b&gt;"
    for path in ("/", "/history", f"/jobs/{queued.id}", f"/jobs/{failed}", "/history?q=%3Cscript"):
        html = (await signed_in.client.get(path)).text
        assert_page(html)
        assert escaped in html, path
    job_page = (await signed_in.client.get(f"/jobs/{failed}")).text
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt; &amp; &lt;/p&gt;" in job_page
    # The live stream's fragments are escaped the same way.
    async with signed_in.client.stream("GET", "/live/events") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("data: ") and escaped in line:
                break
    assert "<script>alert" not in line


async def test_the_live_page_lists_running_then_queued_then_recently_finished(
    signed_in: Api,
) -> None:
    store = signed_in.store
    first, second = await enqueue(signed_in, 2)
    api_job = await store.queue.enqueue(
        JobRequest(url="https://example.com/api", user_id=api_user_id("ci"), guild_id=GUILD)
    )
    running = await add_job(store, status="running", stage="compressing")
    done = await add_job(store, status="succeeded")
    old = await add_job(store, status="succeeded", created_at=1000.0)  # long ago: History only
    html = (await signed_in.client.get("/")).text
    order = re.findall(r'<tr id="job-([0-9a-f]+)"', html)
    positions = await store.queue.positions()
    queued = sorted((first.id, second.id, api_job.id), key=positions.__getitem__)
    assert order == [running, *queued, done]  # queued ones in the order they will run
    assert old not in html
    assert "#1 in the queue" in html and "#3 in the queue" in html
    assert "API: ci" in html and "user 1000" in html and str(GUILD) in html
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert counts["Queued"] == "3" and counts["Running"] == "1"
    assert counts["Done today"] == "1" and counts["Download speed"] == "0 B/s"
    assert 'sse-connect="/live/events"' in html and 'sse-close="end"' in html


async def test_history_filters_and_walks_its_cursor_pages(signed_in: Api) -> None:
    store = signed_in.store
    made = []
    for i in range(55):
        made.append(await add_job(store, url=f"https://example.com/n{i}", created_at=1000.0 + i,
                                  platform="generic", guild_id=GUILD if i % 5 == 0 else None))  # fmt: skip
    yt = await add_job(store, url="https://www.youtube.com/watch?v=x", platform="youtube",
                       status="failed", error_code="private", error_message="This video is private",
                       created_at=2000.0)  # fmt: skip
    await enqueue(signed_in)  # queued: not history
    seen: list[str] = []
    url = "/history"
    for _ in range(5):  # bounded: 56 jobs, 50 a page
        html = (await signed_in.client.get(url)).text
        seen += re.findall(r'<tr id="job-([0-9a-f]+)"', html)
        nxt = re.search(r'<a href="([^"]+)" rel="next">', html)
        if nxt is None:
            break
        url = nxt.group(1).replace("&amp;", "&")
        assert "cursor=" in url
    assert seen == [yt, *reversed(made)]  # every finished job once, newest first
    assert "« Newest" in html

    async def ids(query: str) -> list[str]:
        return re.findall(r'<tr id="job-([0-9a-f]+)"', (await signed_in.client.get(query)).text)

    assert await ids("/history?platform=youtube") == [yt]
    assert await ids("/history?status=failed") == [yt]
    assert await ids("/history?q=PRIVATE") == [yt]
    assert await ids("/history?q=n54") == [made[54]]
    assert await ids("/history?q=%25") == []  # a literal %, not a wildcard
    assert await ids(f"/history?guild={GUILD}") == [made[i] for i in range(50, -1, -5)]
    page = (await signed_in.client.get("/history?platform=nope&status=queued&guild=x")).text
    assert "Unknown platform" in page and "finished jobs" in page and "numeric id" in page
    page = (await signed_in.client.get("/history?cursor=bm90LWEtY3Vyc29y")).text
    assert "not one this site made" in page and f'id="job-{yt}"' in page


async def test_a_job_page_shows_files_timeline_error_and_how_it_was_served(
    signed_in: Api,
) -> None:
    store = signed_in.store
    settings = signed_in.services.settings
    job = await add_job(store, platform="youtube", url="https://www.youtube.com/watch?v=abc",
                        created_at=1_800_000_000.0, posted_batches=2)  # fmt: skip
    await add_metrics(store, job, platform="youtube", method="cli_fallback", download_seconds=12.4,
                      bytes_downloaded=30_000_000, compression_seconds=65.0, compressed_files=1,
                      compression_ratio=0.4, upload_seconds=3.2, bytes_uploaded=12_000_000)  # fmt: skip
    archive = settings.download_dir / "youtube" / "clip.mp4"
    await add_file(store, job, str(archive), 12_000_000, compressed_from_bytes=30_000_000,
                   mime_type="video/mp4", width=1280, height=720, message_id=555,
                   jump_url="https://discord.com/channels/1/2/555")  # fmt: skip
    await add_file(store, job, "/elsewhere/secret/b.jpg", 1000, message_id=556,
                   jump_url="javascript:alert(1)")  # fmt: skip
    html = (await signed_in.client.get(f"/jobs/{job}")).text
    assert_page(html)
    assert "youtube/clip.mp4" in html and str(settings.download_dir) not in html
    assert "/elsewhere/secret" not in html  # only the name of a file outside the archive
    assert "11.4 MiB" in html and "28.6 MiB" in html  # size, compressed from
    assert '<a href="https://discord.com/channels/1/2/555"' in html and "message 555" in html
    assert "javascript:" not in html and ">556<" in html  # shown, not linked
    assert "CLI fallback" in html and "yt-dlp" in html
    steps = re.findall(r'<span class="step">([^<]+)</span>', html)
    assert steps == ["queued", "started", "downloading", "compressing", "uploading", "succeeded"]
    assert "2027-01-15 08:00:00 UTC" in html  # queued at (UTC)
    assert "12 s" in html and "1 min 05 s" in html and "in 2 message(s)" in html
    failed = await add_job(store, status="failed", error_code="private", error_message="Private.")
    html = (await signed_in.client.get(f"/jobs/{failed}")).text
    assert "<code>private</code> Private." in html and "not recorded" in html
    assert (await signed_in.client.get("/jobs/000000000000")).status_code == 404
    assert (await signed_in.client.get("/jobs/bad!id")).status_code == 404


async def test_a_running_job_page_follows_the_job_live(signed_in: Api) -> None:
    running = await add_job(signed_in.store, status="running", stage="downloading")
    html = (await signed_in.client.get(f"/jobs/{running}")).text
    assert f'sse-connect="/live/events?job={running}"' in html and f'id="cancel-{running}"' in html
    done = await add_job(signed_in.store, status="succeeded")
    assert "sse-connect" not in (await signed_in.client.get(f"/jobs/{done}")).text


async def test_stats_show_the_figures_of_dollar_stats_and_charts(signed_in: Api) -> None:
    store = signed_in.store
    await seed_week(store)
    html = (await signed_in.client.get("/stats")).text
    assert_page(html)
    stats = await store.metrics.stats(days=7)
    for name, value in stats_fields(stats):  # the same figures as $stats, line by line
        assert f"<dt>{name}</dt>" in html
        for line in value.splitlines():
            assert line.replace("`", "") in html, line
    for chart in ("jobs", "success", "methods", "bytes", "compression"):
        figure = re.search(rf'<figure class="chart" id="chart-{chart}">(.*?)</figure>', html, re.S)
        assert figure is not None, chart
        assert "<svg" in figure.group(1) and "<title>" in figure.group(1), chart
    jobs = re.search(r'id="chart-jobs">(.*?)</figure>', html, re.S).group(1)  # type: ignore[union-attr]
    bars = re.findall(r"<title>([0-9-]+) · ([a-z]+): (\d+)</title>", jobs)
    assert sum(int(n) for *_, n in bars) == stats.count  # every job drawn once
    saved = re.search(r"<dt>Compression savings</dt><dd>([^<]+)</dd>", html).group(1)  # type: ignore[union-attr]
    assert saved.endswith("compressed") and not saved.startswith("0 B")
    one = (await signed_in.client.get("/stats?days=30&platform=youtube")).text
    assert "youtube, last 30 days" in one and "· twitter:" not in one
    assert "last 7 days" in (await signed_in.client.get("/stats?days=5&platform=zzz")).text
    empty = (await signed_in.client.get("/stats?days=1&platform=bluesky")).text
    assert "No downloads in this period." in empty


async def test_workers_in_embedded_mode(signed_in: Api) -> None:
    html = (await signed_in.client.get("/workers")).text
    assert "Embedded mode" in html and "there are no workers" in html


async def test_workers_in_distributed_mode_show_heartbeats_and_leases(signed_in: Api) -> None:
    settings, store = signed_in.services.settings, signed_in.store
    async with distributed(settings, store) as cluster:
        cluster.client.cookies.update(signed_in.client.cookies)  # same tokens: same session
        html = (await cluster.client.get("/workers")).text
        assert_page(html)
        sections = re.findall(r'<section class="worker (alive|dead)".*?</section>', html, re.S)
        assert sections == ["alive", "dead"]
        alive, dead = html.split('<section class="worker dead"')
        assert "worker-a" in alive and "alive" in alive and "1/2" in alive
        assert "expires in" in alive and "downloading" in alive
        assert "worker-b" in dead and "no heartbeat" in dead and "expired" in dead
        # Redis gone: the leases are still shown, with the reason the heartbeats are not.
        await cluster.server.app.state.dashboard.workers.close()
        cluster.server.app.state.dashboard.workers.settings = settings.model_copy(
            update={"queue_backend": "redis", "redis_url": _closed_redis()}
        )
        html = (await cluster.client.get("/workers")).text
        assert "Redis did not answer" in html and "worker-a" in html and "worker-b" in html


def _closed_redis() -> object:
    import socket

    from pydantic import SecretStr

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return SecretStr(f"redis://127.0.0.1:{port}/0")


async def test_servers_show_defaults_and_what_each_server_changed(signed_in: Api) -> None:
    html = (await signed_in.client.get("/servers")).text
    assert "every server has the defaults" in html
    await change_a_server(signed_in.store, signed_in.services.settings)
    html = (await signed_in.client.get("/servers")).text
    assert_page(html)
    assert f'Server <span class="mono">{GUILD}</span>' in html
    changed = re.findall(r'<div class="changed"><dt class="mono">([a-z_]+)</dt><dd>([^<]+)', html)
    assert changed == [("auto", "everywhere "), ("quality", "1080p ")]
    assert "by user 42" in html and "<code>quality</code>" in html
    assert "<form" not in html.split("<main")[1].split("</main>")[0]  # read-only: no forms


async def test_static_files_are_cached_by_version(signed_in: Api) -> None:
    html = (await signed_in.client.get("/")).text
    assets = re.findall(r'(?:src|href)="(/static/[^"?]+)\?v=([0-9a-f]{12})"', html)
    names = {path for path, _ in assets}
    assert {"/static/dashboard.css", "/static/vendor/htmx-2.0.11.min.js",
            "/static/vendor/htmx-ext-sse-2.2.4.min.js", "/static/favicon.svg"} <= names  # fmt: skip
    client = signed_in.client
    for path, version in assets:
        data = (STATIC / path.removeprefix("/static/")).read_bytes()
        assert version == hashlib.sha256(data).hexdigest()[:12]
        r = await client.get(f"{path}?v={version}")
        assert r.status_code == 200 and r.content == data
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["x-content-type-options"] == "nosniff"
        stale = await client.get(f"{path}?v=000000000000")
        assert stale.headers["cache-control"] == "no-cache" and "etag" in stale.headers
        again = await client.get(path, headers={"If-None-Match": stale.headers["etag"]})
        assert again.status_code == 304
    client.cookies.clear()
    assert (await client.get("/static/dashboard.css")).status_code == 200  # needs no session
    assert (await client.get("/static/nope.js")).status_code == 404


def test_vendored_files_match_their_pinned_hashes_and_carry_their_licences() -> None:
    vendor = STATIC / "vendor"
    table = (vendor / "README.md").read_text()
    for name in ("htmx-2.0.11.min.js", "htmx-ext-sse-2.2.4.min.js"):
        digest = hashlib.sha256((vendor / name).read_bytes()).hexdigest()
        assert f"`{name}`" in table and digest in table, name
    for licence in ("LICENSE-htmx.txt", "LICENSE-htmx-ext-sse.txt"):
        assert "Permission to use, copy, modify" in (vendor / licence).read_text()
    assert 'version:"2.0.11"' in (vendor / "htmx-2.0.11.min.js").read_text()


def test_templates_and_static_files_are_in_the_wheel() -> None:
    """hatchling takes every file under src/boss_bot (nothing here is git-ignored)."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    wheel = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    assert wheel["targets"]["wheel"]["packages"] == ["src/boss_bot"]
    ignored = (root / ".gitignore").read_text().split()
    web = root / "src/boss_bot/http/web"
    for path in [*web.glob("templates/*.html"), *web.glob("static/**/*")]:
        assert not any(path.match(pattern) for pattern in ignored), path


async def test_no_dashboard_when_disabled_and_the_api_is_unchanged(
    make_settings: Callable[..., BossSettings],
) -> None:
    settings = make_settings(api_tokens=API_TOKENS, dashboard_enabled=False)
    store = await open_store(settings)
    try:
        async with serve(Services(settings=settings, store=store, bus=EventBus())) as api:
            r = await api.client.get("/")
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
            assert (await api.client.get("/static/dashboard.css")).status_code == 404
            assert (await api.client.get("/signin")).status_code == 404
            off = (await api.client.get(OPENAPI_URL)).json()
        on_settings = make_settings(api_tokens=API_TOKENS)
        async with serve(Services(settings=on_settings, store=store, bus=EventBus())) as api:
            on = (await api.client.get(OPENAPI_URL)).json()
    finally:
        await store.close()
    assert on["paths"] == off["paths"]  # the dashboard adds nothing to the API's document
    dashboard = ("/", "/signin", "/signout", "/history", "/stats", "/workers", "/servers",
                 "/live/events")  # fmt: skip
    for path in on["paths"]:
        assert path not in dashboard and not path.startswith(("/jobs/", "/static/")), path


@pytest.mark.parametrize("path", ["/live/events", "/live/events?job=x"])
async def test_the_stream_is_not_cached(signed_in: Api, path: str) -> None:
    async with signed_in.client.stream("GET", path) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["content-security-policy"] == CSP
