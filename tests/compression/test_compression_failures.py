"""Bad input, cancellation and the concurrency cap."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from compression_helpers import ffmpeg_children

from boss_bot.core.compression import compress_to_fit
from boss_bot.core.errors import CompressionError
from boss_bot.core.models import ProgressEvent
from boss_bot.core.settings import BossSettings

KIB = 1024


async def assert_refused(
    src: Path, dest: Path, settings: BossSettings, *words: str, budget: int = 20 * KIB
) -> None:
    with pytest.raises(CompressionError) as info:
        await compress_to_fit(src, budget, dest_dir=dest, settings=settings)
    message = info.value.user_message
    assert "Traceback" not in message and str(dest) not in message
    for word in words:
        assert word in message
    assert not dest.exists() or list(dest.iterdir()) == []


async def test_zero_byte_file(tmp_path: Path, settings: BossSettings) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    await assert_refused(empty, tmp_path / "out", settings, "empty")


async def test_text_file_is_not_media(tmp_path: Path, settings: BossSettings) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a video\n" * 5000)
    await assert_refused(text, tmp_path / "out", settings, "not")


async def test_random_bytes_named_mp4(
    garbage_mp4: Path, tmp_path: Path, settings: BossSettings
) -> None:
    await assert_refused(garbage_mp4, tmp_path, settings)


async def test_truncated_mp4_without_index(
    truncated_mp4: Path, tmp_path: Path, settings: BossSettings
) -> None:
    await assert_refused(truncated_mp4, tmp_path, settings, "corrupt")


async def test_cut_mp4_with_index_is_reported_as_truncated(
    cut_faststart_mp4: Path, tmp_path: Path, settings: BossSettings
) -> None:
    assert cut_faststart_mp4.stat().st_size > 200 * KIB
    await assert_refused(cut_faststart_mp4, tmp_path, settings, "truncated", budget=200 * KIB)


async def test_missing_file_and_tiny_budget(
    noisy_720p: Path, tmp_path: Path, settings: BossSettings
) -> None:
    with pytest.raises(CompressionError):
        await compress_to_fit(tmp_path / "nope.mp4", 1 << 20, dest_dir=tmp_path, settings=settings)
    with pytest.raises(CompressionError, match="below"):
        await compress_to_fit(noisy_720p, 1000, dest_dir=tmp_path, settings=settings)


async def test_cancel_mid_encode_kills_ffmpeg_and_leaves_nothing(
    noisy_720p: Path, tmp_path: Path, settings: BossSettings
) -> None:
    started = asyncio.Event()

    def on_progress(event: ProgressEvent) -> None:
        started.set()

    task = asyncio.create_task(
        compress_to_fit(
            noisy_720p, 300 * KIB, dest_dir=tmp_path, settings=settings, on_progress=on_progress
        )
    )
    await asyncio.wait_for(started.wait(), timeout=60)
    assert ffmpeg_children(), "ffmpeg should be running mid-encode"
    assert any(p.name.startswith(".compress-") for p in tmp_path.iterdir())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ffmpeg_children() == []
    assert list(tmp_path.iterdir()) == []


async def test_encodes_do_not_overlap_beyond_the_cap(
    no_audio_clip: Path, mixed_clip: Path, tmp_path: Path
) -> None:
    settings = BossSettings(_env_file=None, compression_max_concurrent=1)  # type: ignore[call-arg]
    order: list[str] = []

    async def run(src: Path, dest: Path) -> None:
        await compress_to_fit(
            src, 100 * KIB, dest_dir=dest, settings=settings,
            on_progress=lambda e: order.append(src.name),
        )  # fmt: skip

    await asyncio.gather(run(no_audio_clip, tmp_path / "a"), run(mixed_clip, tmp_path / "b"))
    assert set(order) == {no_audio_clip.name, mixed_clip.name}
    first = order[0]
    switch = order.index(next(n for n in order if n != first))
    assert all(n == first for n in order[:switch])
    assert all(n != first for n in order[switch:])  # the second started after the first ended
