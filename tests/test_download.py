"""The download core for real: yt-dlp and gallery-dl, API-direct and CLI, against 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from boss_bot.core.errors import (
    BlockedURLError,
    DownloadError,
    DownloadTimeoutError,
    FileTooLargeError,
    InvalidURLError,
    MediaNotFoundError,
    NoMediaFoundError,
)
from boss_bot.core.manager import DownloadManager
from boss_bot.core.models import DownloadOptions, ProgressEvent
from boss_bot.core.mp4 import moov_first
from boss_bot.core.workers.pool import WorkerPool
from tests.conftest import tool_processes
from tests.support.media_server import MediaServer

MakeManager = Callable[..., DownloadManager]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("api", [True, False], ids=["api", "cli"])
async def test_direct_mp4_via_ytdlp(
    make_manager: MakeManager, media_server: MediaServer, media_dir: Path, api: bool
) -> None:
    manager = make_manager(generic_use_api_client=api)
    events: list[ProgressEvent] = []
    meta = await manager.download(media_server.url("clip.mp4"), on_progress=events.append)

    assert meta.download_method == ("api" if api else "cli")
    assert meta.tool == "yt-dlp"
    assert meta.platform == "generic"
    [f] = meta.files
    assert f.path.is_file() and f.file_type == "video" and f.mime_type == "video/mp4"
    assert sha256(f.path) == sha256(media_dir / "clip.mp4")
    assert f.size_bytes == (media_dir / "clip.mp4").stat().st_size
    assert meta.size_bytes == f.size_bytes
    assert f.path.parent.parent == manager.settings.requests_dir
    assert events[-1].status == "finished"
    assert any(e.status == "downloading" for e in events) or len(events) >= 2


@pytest.mark.parametrize("api", [True, False], ids=["api", "cli"])
async def test_direct_image_via_gallerydl(
    make_manager: MakeManager, media_server: MediaServer, media_dir: Path, api: bool
) -> None:
    manager = make_manager(generic_use_api_client=api)
    events: list[ProgressEvent] = []
    meta = await manager.download(media_server.url("photo.jpg"), on_progress=events.append)

    assert meta.download_method == ("api" if api else "cli")
    assert meta.tool == "gallery-dl"
    [f] = meta.files
    assert f.filename == "photo.jpg" and f.file_type == "image"
    assert sha256(f.path) == sha256(media_dir / "photo.jpg")
    # the CLI path's metadata sidecar is read, then never mistaken for media
    assert not list(f.path.parent.glob("*.json"))
    assert meta.platform_data.get("category") == "directlink"
    assert [e.status for e in events].count("finished") >= 1


async def test_html_page_with_video_tag(make_manager: MakeManager, media_server: MediaServer):
    meta = await make_manager().download(media_server.url("page/video.html"))
    assert meta.tool == "yt-dlp"
    [f] = meta.files
    assert f.file_type == "video" and f.size_bytes > 10_000


@pytest.mark.parametrize("api", [True, False], ids=["api", "cli"])
async def test_playlist_stops_at_max_items(
    make_manager: MakeManager, media_server: MediaServer, api: bool
) -> None:
    manager = make_manager(generic_use_api_client=api)
    options = DownloadOptions(playlist=True, max_items=2)
    meta = await manager.download(media_server.url("page/multi.html"), options=options)
    assert [f.filename[:4] for f in meta.files] == ["001 ", "002 "]
    assert all(f.file_type == "video" for f in meta.files)
    assert meta.title == "Three clips"
    assert [r for r in media_server.requests if r[1] == "/c3.mp4"] == []


async def test_dest_moves_files_and_leaves_no_staging(
    make_manager: MakeManager, media_server: MediaServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    meta = await make_manager().download(media_server.url("image.png"), dest=out)
    [f] = meta.files
    assert f.path == (out / "image.png").resolve()
    assert sorted(p.name for p in out.iterdir()) == ["image.png"]


async def test_late_index_mp4_gets_faststart(make_manager: MakeManager, media_server, media_dir):
    assert moov_first(media_dir / "late-index.mp4") is False
    meta = await make_manager().download(media_server.url("late-index.mp4"))
    assert moov_first(meta.files[0].path) is True


async def test_api_failure_falls_back_to_cli(
    make_settings: Callable[..., object], media_server: MediaServer
) -> None:
    """The API path fails for real (its worker process cannot start), the CLI path succeeds."""
    broken = WorkerPool(1, child_argv=["python3", "-c", "import sys; sys.exit(3)"])
    manager = DownloadManager(make_settings(), pool=broken)  # type: ignore[arg-type]
    try:
        meta = await manager.download(media_server.url("photo.jpg"))
    finally:
        await manager.close()
    assert meta.download_method == "cli_fallback"
    assert meta.files[0].filename == "photo.jpg"


async def test_api_failure_without_fallback_is_reported(
    make_settings: Callable[..., object], media_server: MediaServer
) -> None:
    broken = WorkerPool(1, child_argv=["python3", "-c", "import sys; sys.exit(3)"])
    settings = make_settings(download_api_fallback_to_cli=False, download_max_attempts=1)
    manager = DownloadManager(settings, pool=broken)  # type: ignore[arg-type]
    try:
        with pytest.raises(DownloadError) as info:
            await manager.download(media_server.url("photo.jpg"))
    finally:
        await manager.close()
    assert info.value.code in {"worker_crashed", "download_failed"}
    assert not list(settings.requests_dir.iterdir())  # type: ignore[attr-defined]


async def test_eight_concurrent_gallerydl_jobs_keep_their_directories(
    make_manager: MakeManager, media_server: MediaServer, media_dir: Path, tmp_path: Path
) -> None:
    manager = make_manager(max_concurrent_downloads=8)
    dests = [tmp_path / f"job{i}" for i in range(8)]
    metas = await asyncio.gather(
        *(manager.download(media_server.url(f"img{i}.jpg"), dest=dests[i]) for i in range(8))
    )
    for i, meta in enumerate(metas):
        [f] = meta.files
        assert f.path.parent == dests[i].resolve()
        assert f.filename == f"img{i}.jpg"
        assert sha256(f.path) == sha256(media_dir / f"img{i}.jpg")
        assert [p.name for p in dests[i].iterdir()] == [f"img{i}.jpg"]


@pytest.mark.parametrize("api", [True, False], ids=["api", "cli"])
async def test_cancel_mid_download_kills_and_cleans(
    make_manager: MakeManager, media_server: MediaServer, api: bool
) -> None:
    manager = make_manager(generic_use_api_client=api)
    started = asyncio.Event()

    def on_progress(event: ProgressEvent) -> None:
        if event.status == "downloading" and (event.downloaded_bytes or 0) > 0:
            started.set()

    task = asyncio.create_task(
        manager.download(media_server.url("slow/big.mp4"), on_progress=on_progress)
    )
    await asyncio.wait_for(started.wait(), timeout=30)
    pids_before = set(manager.pool.pids)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert tool_processes() == [] or all(p.pid in manager.pool.pids for p in tool_processes()), (
        "only idle warm workers may remain"
    )
    if api:
        assert pids_before - set(manager.pool.pids), "the busy worker was killed"
    assert list(manager.settings.requests_dir.iterdir()) == []


@pytest.mark.parametrize("api", [True, False], ids=["api", "cli"])
async def test_timeout_kills_and_reports(
    make_manager: MakeManager, media_server: MediaServer, api: bool
) -> None:
    manager = make_manager(
        download_timeout_seconds=1.5, download_max_attempts=1, generic_use_api_client=api
    )
    with pytest.raises(DownloadTimeoutError) as info:
        await manager.download(media_server.url("slow/big.mp4"))
    assert info.value.retryable
    assert "too long" in info.value.user_message
    assert list(manager.settings.requests_dir.iterdir()) == []
    assert tool_processes() == []


async def test_size_limit_enforced_while_streaming(
    make_manager: MakeManager, media_server: MediaServer, media_dir: Path
) -> None:
    assert (media_dir / "big.mp4").stat().st_size > 1024 * 1024
    manager = make_manager(max_file_size_mb=1)
    with pytest.raises(FileTooLargeError) as info:
        await manager.download(media_server.url("slow/big.mp4"))
    assert "1 MiB" in info.value.user_message or "larger" in info.value.user_message
    assert list(manager.settings.requests_dir.iterdir()) == []


@pytest.mark.parametrize("api", [True, False], ids=["api", "cli"])
async def test_404_is_not_found_and_not_retried(
    make_manager: MakeManager, media_server: MediaServer, api: bool
) -> None:
    manager = make_manager(generic_use_api_client=api)
    before = len(media_server.requests)
    with pytest.raises(MediaNotFoundError) as info:
        await manager.download(media_server.url("missing.jpg"))
    assert not info.value.retryable
    assert "not found" in info.value.user_message.lower()
    hits = [r for r in media_server.requests[before:] if r[1] == "/missing.jpg"]
    assert len(hits) <= 2, "a 404 is fatal: no retry storm"


async def test_page_without_media(make_manager: MakeManager, media_server: MediaServer):
    with pytest.raises(NoMediaFoundError) as info:
        await make_manager().download(media_server.url("page/empty.html"))
    assert "no downloadable media" in info.value.user_message.lower()
    assert not info.value.retryable


async def test_server_error_is_retried_with_backoff(
    make_manager: MakeManager, media_server: MediaServer
) -> None:
    manager = make_manager(download_max_attempts=2)
    before = len(media_server.requests)
    with pytest.raises(DownloadError) as info:
        await manager.download(media_server.url("status/503.mp4"))
    assert info.value.retryable
    hits = [r for r in media_server.requests[before:] if r[1].startswith("/status/503")]
    assert len(hits) >= 2, "retryable errors are retried"


@pytest.mark.parametrize(
    ("url", "error", "fragment"),
    [
        ("ftp://127.0.0.1/clip.mp4", InvalidURLError, "ftp"),
        ("-o/etc/passwd", InvalidURLError, "-"),
        ("http://127.0.0.1/clip.mp4", BlockedURLError, "private"),
    ],
)
async def test_bad_input(
    make_manager: MakeManager, url: str, error: type[Exception], fragment: str
) -> None:
    manager = make_manager(allow_private_network_urls=False)
    with pytest.raises(error) as info:
        await manager.download(url, options=DownloadOptions())
    assert fragment in info.value.user_message.lower()  # type: ignore[attr-defined]
    assert not manager.settings.requests_dir.exists() or not list(
        manager.settings.requests_dir.iterdir()
    )


@pytest.mark.parametrize("api", [True, False], ids=["api", "cli"])
async def test_downloaded_files_are_private(
    make_manager: MakeManager, media_server: MediaServer, api: bool
) -> None:
    import stat

    for name in ("clip.mp4", "photo.jpg"):
        meta = await make_manager(generic_use_api_client=api).download(media_server.url(name))
        [f] = meta.files
        assert stat.S_IMODE(f.path.stat().st_mode) == 0o600, name
        assert stat.S_IMODE(f.path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("api", [True, False], ids=["api", "cli"])
async def test_expand_playlist_lists_entries_without_downloading(
    make_manager: MakeManager, media_server: MediaServer, api: bool
) -> None:
    manager = make_manager(generic_use_api_client=api)
    before = len(media_server.requests)
    entries = await manager.expand_playlist(media_server.url("page/multi.html"), max_items=2)
    assert [e.url.rsplit("/", 1)[1] for e in entries] == ["clip.mp4", "c2.mp4"]
    assert not [r for r in media_server.requests[before:] if r[1].endswith(".mp4")]
    single = await manager.expand_playlist(media_server.url("clip.mp4"), max_items=5)
    assert [e.url for e in single] == [media_server.url("clip.mp4")]
    assert list(manager.settings.requests_dir.iterdir()) == []
