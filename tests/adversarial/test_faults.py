"""Faults in the core: the disk budget runs out, ffmpeg is killed from outside."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from boss_bot.core.compression import compress_to_fit
from boss_bot.core.errors import CompressionError, DiskBudgetError
from boss_bot.core.manager import DownloadManager
from boss_bot.core.models import ProgressEvent
from boss_bot.core.settings import BossSettings
from tests.conftest import tool_processes
from tests.support.media import make_mp4
from tests.support.media_server import MediaServer


async def test_disk_fills_up_during_a_download(
    make_manager: Callable[..., DownloadManager], media_server: MediaServer
) -> None:
    manager = make_manager(disk_budget_mb=1, download_max_attempts=1)
    with pytest.raises(DiskBudgetError) as info:
        await manager.download(media_server.url("endless/stream.mp4"))
    assert "ran out of download space" in info.value.user_message
    assert list(manager.settings.requests_dir.iterdir()) == []
    assert tool_processes() == []


async def test_new_downloads_wait_then_are_refused_when_the_disk_is_full(
    make_manager: Callable[..., DownloadManager], media_server: MediaServer
) -> None:
    manager = make_manager(disk_budget_mb=1)
    manager.disk_wait_seconds = 1.0
    other = manager.settings.requests_dir / "someone-elses-job"
    other.mkdir(parents=True)
    (other / "video.mp4").write_bytes(b"\0" * (2 * 1024 * 1024))
    with pytest.raises(DiskBudgetError) as info:
        await manager.download(media_server.url("photo.jpg"))
    assert "download space is full" in info.value.user_message
    assert sorted(p.name for p in manager.settings.requests_dir.iterdir()) == ["someone-elses-job"]
    (other / "video.mp4").unlink()  # space frees up: the next request goes through
    assert (await manager.download(media_server.url("photo.jpg"))).files


async def test_ffmpeg_killed_from_outside(
    make_settings: Callable[..., BossSettings], tmp_path: Path
) -> None:
    src = make_mp4(tmp_path / "src.mp4", seconds=6, size="640x360", noise=True, bitrate="3000k")
    out = tmp_path / "out"
    out.mkdir()
    started = asyncio.Event()

    def on_progress(event: ProgressEvent) -> None:
        if event.status == "compressing":
            started.set()

    task = asyncio.create_task(
        compress_to_fit(
            src, 300_000, dest_dir=out, settings=make_settings(), on_progress=on_progress
        )
    )
    await asyncio.wait_for(started.wait(), 60)
    victims = [p for p in psutil.Process().children(recursive=True) if "ffmpeg" in p.name()]
    assert victims, "ffmpeg should be running"
    for p in victims:
        p.send_signal(signal.SIGKILL)
    with pytest.raises(CompressionError) as info:
        await asyncio.wait_for(task, 60)
    assert info.value.user_message and "Traceback" not in info.value.user_message
    assert list(out.iterdir()) == [], "no partial output or temp dir is left"
    assert tool_processes() == []
