"""Debian's chromium, headless, driven by selenium through Debian's chromedriver.

Selenium is blocking and the app under test is served in the test's own event loop, so every
browser call runs in a thread (:meth:`Browser.call`): the loop keeps serving the pages while
the browser waits for them. Every wait is bounded.

``make setup`` installs chromium and chromium-driver (``make system-deps``); a machine without
them fails the browser tests with that reason, never skips them. A browser a test tool
downloads itself does not work on these machines, so nothing here downloads one.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: The flags a headless chromium needs on these machines (no sandbox as root, and no
#: background connections: the network is closed, and they would fail by the dozen).
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-extensions", "--hide-scrollbars",
)  # fmt: skip
T = TypeVar("T")


def require_chromium() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not installed: run `make setup` (it installs Debian's "
            "chromium and chromium-driver); the browser tests never skip",
            pytrace=False,
        )


class Browser:
    """One headless chromium, its window ``width`` × ``height``."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def call(self, fn: Callable[..., T], *args: Any, timeout: float = 30) -> T:
        return await asyncio.wait_for(asyncio.to_thread(fn, *args), timeout)

    async def get(self, url: str) -> None:
        await self.call(self.driver.get, url)

    async def js(self, script: str, *args: Any) -> Any:
        return await self.call(self.driver.execute_script, script, *args)

    async def until(
        self, script: str, *args: Any, timeout: float = 20.0, interval: float = 0.05
    ) -> Any:
        """Evaluate ``script`` (it must ``return`` something) until it is truthy; bounded.

        A script that fails because the page is being replaced (a form was just submitted)
        counts as "not yet"."""
        from selenium.common.exceptions import WebDriverException

        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = await self.js(script, *args)
            except WebDriverException as exc:
                last = exc
            else:
                if last:
                    return last
            await asyncio.sleep(interval)
        raise TimeoutError(f"not within {timeout} s: {script} (last: {last!r})")

    async def screenshot(self, path: Path) -> Path:
        """A PNG of the viewport, re-encoded with a palette to keep docs/img small."""
        from PIL import Image

        path.parent.mkdir(parents=True, exist_ok=True)
        raw = path.with_suffix(".raw.png")
        await self.call(self.driver.save_screenshot, str(raw))
        with Image.open(raw) as image:
            image.convert("RGB").quantize(colors=128).save(path, optimize=True)
        raw.unlink()
        return path

    async def console_errors(self) -> list[str]:
        entries = await self.call(self.driver.get_log, "browser")
        return [e["message"] for e in entries if e.get("level") == "SEVERE"]


@contextlib.asynccontextmanager
async def chromium(width: int = 1000, height: int = 700) -> AsyncIterator[Browser]:
    """A fresh profile (its own user-data-dir), removed afterwards with the browser. Started
    and stopped in a thread, like every browser call: the event loop keeps serving."""
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="boss-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = await asyncio.wait_for(
        asyncio.to_thread(webdriver.Chrome, options=options, service=Service(str(CHROMEDRIVER))),
        60,
    )
    try:
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(10)
        yield Browser(driver)
    finally:
        await asyncio.wait_for(asyncio.to_thread(driver.quit), 60)
        shutil.rmtree(profile, ignore_errors=True)
