"""Shared fixtures: settings in a temp dir, the local media server, a warm worker pool.

All tests share one event loop (``asyncio_default_test_loop_scope = "session"``) so the warm
worker pool, whose pipes belong to a loop, is started once for the whole run.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import psutil
import pytest
import pytest_asyncio

from boss_bot.core.manager import DownloadManager
from boss_bot.core.settings import BossSettings
from boss_bot.core.workers.pool import WorkerPool
from tests.support.media import make_jpeg, make_mp4, make_png
from tests.support.media_server import MediaServer


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env or environment settings by accident."""
    names = {name.upper() for name in BossSettings.model_fields}
    for key in list(os.environ):
        if key.upper() in names:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., BossSettings]:
    """Settings rooted in this test's temp dir; private URLs allowed (the server is local)."""

    def build(**overrides: object) -> BossSettings:
        values: dict[str, object] = {
            "download_dir": tmp_path / "downloads",
            "data_dir": tmp_path / "data",
            "allow_private_network_urls": True,
            "download_retry_base_delay_seconds": 0.05,
            "download_timeout_seconds": 60,
        }
        values.update(overrides)
        return BossSettings(_env_file=None, **values)  # type: ignore[arg-type]

    return build


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("media")
    make_mp4(d / "clip.mp4", seconds=2)
    make_mp4(d / "late-index.mp4", seconds=1, faststart=False)
    make_mp4(d / "big.mp4", seconds=4, size="640x480", noise=True, bitrate="2500k")
    make_jpeg(d / "photo.jpg")
    make_png(d / "image.png")
    for i in range(8):
        make_jpeg(d / f"img{i}.jpg", size=(160, 120), seed=i + 1)
    return d


@pytest.fixture(scope="session")
def media_server(media_dir: Path) -> Iterator[MediaServer]:
    server = MediaServer()
    for name, ctype in (
        ("clip.mp4", "video/mp4"),
        ("late-index.mp4", "video/mp4"),
        ("big.mp4", "video/mp4"),
        ("photo.jpg", "image/jpeg"),
        ("image.png", "image/png"),
    ):
        server.add_file(name, media_dir / name, ctype)
    for i in range(8):
        server.add_file(f"img{i}.jpg", media_dir / f"img{i}.jpg", "image/jpeg")
    server.add_page(
        "video.html",
        "<html><head><title>A local clip</title></head><body>"
        '<video controls src="/clip.mp4"></video></body></html>',
    )
    for copy in ("c2.mp4", "c3.mp4"):
        server.add_file(copy, media_dir / "clip.mp4", "video/mp4")
    server.add_page(
        "multi.html",
        "<html><head><title>Three clips</title></head><body>"
        + "".join(f'<video src="/{n}"></video>' for n in ("clip.mp4", "c2.mp4", "c3.mp4"))
        + "</body></html>",
    )
    server.add_page("empty.html", "<html><head><title>Nothing</title></head><body>hi</body></html>")
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture(scope="session")
async def worker_pool() -> AsyncIterator[WorkerPool]:
    pool = WorkerPool(2)
    await pool.start()
    yield pool
    await pool.close()


@pytest.fixture
def make_manager(
    make_settings: Callable[..., BossSettings], worker_pool: WorkerPool
) -> Callable[..., DownloadManager]:
    """A DownloadManager on the shared warm pool, with per-test setting overrides."""

    def build(**overrides: object) -> DownloadManager:
        return DownloadManager(make_settings(**overrides), pool=worker_pool)

    return build


def tool_processes() -> list[psutil.Process]:
    """Live descendants of this test process that run a download tool or ffmpeg."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(child.cmdline())
            zombie = child.status() == psutil.STATUS_ZOMBIE
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        if any(k in cmd for k in ("yt_dlp", "gallery_dl", "ffmpeg")) and not zombie:
            found.append(child)
    return found


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One throwaway PostgreSQL server for the session (`make setup` installs PostgreSQL: when
    it is missing, the tests that need it fail with the reason)."""
    from tests.support.postgres import postgres_server, require_postgres

    require_postgres()
    with postgres_server() as url:
        yield url


# --- no skipped tests --------------------------------------------------------------------------
# Every service the suite needs is installed by `make setup` (PostgreSQL, redis-server, ffmpeg),
# and a test that only makes sense on one database is generated for that one only: a skip can
# only mean a broken build or a test nobody runs, so any skip fails the run (`make test` too).

_skipped: list[str] = []


def _note_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _note_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:  # importorskip, module skips
    _note_skip(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped:
        terminalreporter.section("skipped tests fail the run", sep="=", red=True, bold=True)
        for line in _skipped:
            terminalreporter.write_line(f"SKIPPED {line}", red=True)
