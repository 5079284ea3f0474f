"""The Discord-free pipeline with real downloads and a recording uploader (the protocol's
other side, which the bot implements with discord.py: see test_e2e for that one)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from boss_bot.core.jobs import JobSpec
from boss_bot.core.manager import DownloadManager
from boss_bot.core.pipeline import (
    JobRequest,
    Pipeline,
    Stage,
    UploadBatch,
    UploadTooLargeError,
)
from boss_bot.core.settings import BossSettings
from boss_bot.core.workers.pool import WorkerPool
from tests.support.media_server import MediaServer


class RecordingUploader:
    def __init__(self, limit: int, *, refuse_over: int | None = None) -> None:
        self.file_limit = limit
        self.limit_key = "guild:1"
        self.refuse_over = refuse_over
        self.batches: list[UploadBatch] = []
        self.refused = 0

    async def send(self, batch: UploadBatch) -> None:
        for f in batch.files:
            assert f.path.is_file()  # still on disk while being posted
        if self.refuse_over is not None and any(
            f.size_bytes > self.refuse_over for f in batch.files
        ):
            self.refused += 1
            raise UploadTooLargeError("413", user_message="too large")
        self.batches.append(batch)


def request(url: str, *, upload: bool = True, owner: int = 1) -> JobRequest:
    return JobRequest(spec=JobSpec(url=url, owner_id=owner), upload=upload)


def pipeline_for(settings: BossSettings, pool: WorkerPool) -> Pipeline:
    return Pipeline(settings, DownloadManager(settings, pool=pool))


async def test_queue_positions_and_cancelling_a_queued_job(
    make_settings: Callable[..., BossSettings], worker_pool: WorkerPool, media_server: MediaServer
) -> None:
    pipeline = pipeline_for(make_settings(max_concurrent_downloads=1), worker_pool)
    stages: dict[str, list[Stage]] = {}

    def listen(stage: Stage) -> None:
        stages.setdefault(stage.job_id, []).append(stage)

    slow = pipeline.submit(request(media_server.url("slow/big.mp4"), upload=False), on_stage=listen)
    second = pipeline.submit(request(media_server.url("photo.jpg"), upload=False), on_stage=listen)
    third = pipeline.submit(request(media_server.url("image.png"), upload=False), on_stage=listen)
    await asyncio.sleep(0.5)
    assert [s.position for s in stages[second.id] if s.name == "queued"][-1] == 1
    assert [s.position for s in stages[third.id] if s.name == "queued"][-1] == 2
    assert {j.id for j in pipeline.jobs()} == {slow.id, second.id, third.id}

    pipeline.cancel(second.id, by=99)
    assert (await asyncio.wait_for(pipeline.wait(second.id), 5)).outcome == "cancelled"
    assert [s.position for s in stages[third.id] if s.name == "queued"][-1] == 1
    pipeline.cancel(slow.id)
    assert (await asyncio.wait_for(pipeline.wait(slow.id), 10)).outcome == "cancelled"
    third_result = await asyncio.wait_for(pipeline.wait(third.id), 30)
    assert third_result.outcome == "done"
    assert [s.name for s in stages[third.id]][-1] == "done"
    assert pipeline.registry.get(second.id).cancelled_by == 99  # type: ignore[union-attr]
    assert list(pipeline.settings.requests_dir.iterdir()) == []


async def test_second_refusal_fails_clearly_and_keeps_the_files(
    make_settings: Callable[..., BossSettings], worker_pool: WorkerPool, media_server: MediaServer,
    media_dir: Path,
) -> None:  # fmt: skip
    pipeline = pipeline_for(make_settings(), worker_pool)
    uploader = RecordingUploader(10 * 2**20, refuse_over=0)  # refuses everything
    result = await pipeline.run(request(media_server.url("photo.jpg")), uploader=uploader)
    assert result.outcome == "failed"
    assert uploader.refused == 2  # the first try and exactly one retry
    assert result.error is not None and "even after I shrank them" in result.error.user_message
    assert pipeline.limits.learnt("guild:1") is not None
    [kept] = result.saved_files
    assert kept.parent == (pipeline.settings.download_dir / "generic").resolve()
    assert kept.stat().st_size == (media_dir / "photo.jpg").stat().st_size
    assert list(pipeline.settings.requests_dir.iterdir()) == []


async def test_split_when_too_long_and_parts_are_captioned_in_order(
    make_settings: Callable[..., BossSettings], worker_pool: WorkerPool, media_server: MediaServer
) -> None:
    pipeline = pipeline_for(make_settings(upload_max_files_per_batch=1), worker_pool)
    # big.mp4: 4 s of noise; 60 KB is under what 4 s needs at the lowest watchable bitrate.
    uploader = RecordingUploader(60_000)
    result = await pipeline.run(request(media_server.url("big.mp4")), uploader=uploader)
    assert result.outcome == "done", result.error
    parts = [f for b in uploader.batches for f in b.files]
    assert len(parts) >= 2 and all(f.size_bytes <= 60_000 for f in parts)
    assert [f.part for f in parts] == list(range(1, len(parts) + 1))
    assert [b.index for b in uploader.batches] == list(range(1, len(parts) + 1))
    [report] = result.files
    assert report.parts == len(parts) and report.compressed
