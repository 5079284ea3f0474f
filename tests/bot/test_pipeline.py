"""The Discord-free pipeline with real downloads, a real SQLite store and a recording uploader
(the protocol's other side, which the bot implements with discord.py: see test_e2e for that)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from boss_bot.core.jobs import Job
from boss_bot.core.pipeline import AlreadyPosted, Attachment, JobResult, Stage
from tests.bot.pipeline_support import RecordingUploader, StartPipeline, eventually, request
from tests.support.media_server import MediaServer


async def test_queue_positions_and_cancelling_a_queued_job(
    start_pipeline: StartPipeline, media_server: MediaServer
) -> None:
    pipeline = await start_pipeline(max_concurrent_downloads=1)
    stages: dict[str, list[Stage]] = {}

    def listen(stage: Stage) -> None:
        stages.setdefault(stage.job_id, []).append(stage)

    async def submit(url: str) -> Job:
        job = await pipeline.submit(request(url, upload=False), attachment=Attachment(None, listen))
        assert not isinstance(job, AlreadyPosted)
        return job

    slow = await submit(media_server.url("slow/big.mp4"))
    second = await submit(media_server.url("photo.jpg"))
    third = await submit(media_server.url("image.png"))

    async def positions_are(want: dict[str, int]) -> None:
        def last_positions() -> bool:
            seen = {j: [s.position for s in stages.get(j, []) if s.name == "queued"][-1:]
                    for j in want}  # fmt: skip
            return seen == {j: [p] for j, p in want.items()}

        await eventually(last_positions, 5)

    await positions_are({second.id: 1, third.id: 2})
    assert {j.id for j in await pipeline.jobs()} == {slow.id, second.id, third.id}

    await pipeline.cancel(second.id, by=99)
    assert (await asyncio.wait_for(pipeline.wait(second.id), 5)).outcome == "cancelled"
    await positions_are({third.id: 1})
    await pipeline.cancel(slow.id)
    assert (await asyncio.wait_for(pipeline.wait(slow.id), 10)).outcome == "cancelled"
    third_result = await asyncio.wait_for(pipeline.wait(third.id), 30)
    assert third_result.outcome == "done"
    assert [s.name for s in stages[third.id]][-1] == "done"
    job = await pipeline.get(second.id)
    assert job is not None and job.cancelled_by == 99 and job.status == "cancelled"
    assert (await pipeline.get(third.id)).status == "succeeded"  # type: ignore[union-attr]
    assert list(pipeline.settings.requests_dir.iterdir()) == []


async def test_second_refusal_fails_clearly_and_keeps_the_files(
    start_pipeline: StartPipeline, media_server: MediaServer, media_dir: Path
) -> None:
    pipeline = await start_pipeline()
    uploader = RecordingUploader(10 * 2**20, refuse_over=0)  # refuses everything
    result = await pipeline.run(request(media_server.url("photo.jpg")),
                                attachment=Attachment(uploader))  # fmt: skip
    assert isinstance(result, JobResult)
    assert result.outcome == "failed"
    assert uploader.refused == 2  # the first try and exactly one retry
    assert result.error is not None and "even after I shrank them" in result.error.user_message
    assert await pipeline.store.limits.get(1) is not None  # learnt, and persisted
    [kept] = result.saved_files
    assert kept.is_relative_to((pipeline.settings.download_dir / "generic").resolve())
    assert kept.stat().st_size == (media_dir / "photo.jpg").stat().st_size
    assert list(pipeline.settings.requests_dir.iterdir()) == []
    job = await pipeline.get(result.job.id)
    assert job is not None and (job.status, job.error_code) == ("failed", "upload_too_large")


async def test_split_when_too_long_and_parts_are_captioned_in_order(
    start_pipeline: StartPipeline, media_server: MediaServer
) -> None:
    pipeline = await start_pipeline(upload_max_files_per_batch=1)
    # big.mp4: 4 s of noise; 60 KB is under what 4 s needs at the lowest watchable bitrate.
    uploader = RecordingUploader(60_000)
    result = await pipeline.run(request(media_server.url("big.mp4")),
                                attachment=Attachment(uploader))  # fmt: skip
    assert isinstance(result, JobResult)
    assert result.outcome == "done", result.error
    parts = [f for b in uploader.batches for f in b.files]
    assert len(parts) >= 2 and all(f.size_bytes <= 60_000 for f in parts)
    assert [f.part for f in parts] == list(range(1, len(parts) + 1))
    assert [b.index for b in uploader.batches] == list(range(1, len(parts) + 1))
    [report] = result.files
    assert report.parts == len(parts) and report.compressed
