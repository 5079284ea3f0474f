"""The stall watchdog: a running job that stays in one stage longer than that stage allows is
logged once, counted in /metrics and marked by `bossctl queue list`."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from boss_bot.cli.app import app
from boss_bot.core.jobs import JobRequest, stalled_for
from boss_bot.core.jobs.stall import allowance
from boss_bot.core.pipeline import Attachment
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store
from boss_bot.core.store.schema import JobRow
from tests.bot.pipeline_support import RecordingUploader, StartPipeline, eventually, request
from tests.support.media_server import MediaServer


def test_each_stage_has_its_allowance(make_settings: Callable[..., BossSettings]) -> None:
    s = make_settings(download_timeout_seconds=100, download_max_attempts=3,
                      download_retry_base_delay_seconds=2, stall_seconds=600)  # fmt: skip
    assert allowance("downloading", s) == 100 * 3 + (2 + 4) + 60
    assert allowance("compressing", s) == allowance("uploading", s) == allowance("starting", s)
    assert allowance("compressing", s) == 600


async def test_set_stage_restarts_the_clock_and_other_fields_do_not(
    make_settings: Callable[..., BossSettings],
) -> None:
    store = await open_store(make_settings())
    try:
        job = await store.queue.enqueue(JobRequest(url="https://example.com/a", user_id=1))
        claimed = await store.queue.claim(job.id)
        assert claimed is not None and claimed.stage_at == claimed.started_at
        await store.queue.set_stage(job.id, "compressing")
        moved = await store.queue.get(job.id)
        assert moved is not None and moved.stage_at is not None
        assert moved.stage_at >= claimed.stage_at  # type: ignore[operator]
        await store.queue.set_stage(job.id, work_dir="/tmp/x")
        same = await store.queue.get(job.id)
        assert same is not None and same.stage_at == moved.stage_at
        now = time.time()
        assert stalled_for(same, now, make_settings(stall_seconds=30)) is None
        assert stalled_for(same, now + 31, make_settings(stall_seconds=30)) is not None
        assert (await store.queue.complete(job.id)).stage_at is not None  # type: ignore[union-attr]
    finally:
        await store.close()


async def test_a_job_stuck_in_a_stage_is_reported_once_and_counted(
    start_pipeline: StartPipeline, media_server: MediaServer, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = await start_pipeline(stall_seconds=30)
    uploader = RecordingUploader(10 * 2**20)
    job = await pipeline.submit(request(media_server.url("slow/clip.mp4")),
                                attachment=Attachment(uploader))  # fmt: skip
    await eventually(lambda: pipeline.is_running(job.id), 10, 0.02)  # type: ignore[union-attr]
    scheduler = pipeline.scheduler
    await scheduler.check_stalls()
    assert pipeline.telemetry.value("boss_jobs_stalled_now") == 0  # fresh: not stalled
    async with pipeline.store.engine.begin() as conn:  # as if it had hung in "compressing"
        await conn.execute(update(JobRow).where(JobRow.id == job.id)  # type: ignore[union-attr]
                           .values(stage="compressing", stage_at=time.time() - 1000))  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="boss_bot.core.pipeline.scheduler"):
        await scheduler.check_stalls()
        await scheduler.check_stalls()  # still stalled: told once
    told = [r.getMessage() for r in caplog.records if "stalled" in r.getMessage()]
    assert len(told) == 1 and job.id in told[0] and "compressing" in told[0]  # type: ignore[union-attr]
    assert pipeline.telemetry.value("boss_jobs_stalled_total", {"stage": "compressing"}) == 1
    assert pipeline.telemetry.value("boss_jobs_stalled_now") == 1

    runner = CliRunner()
    env = {"DATA_DIR": str(pipeline.settings.data_dir),
           "DOWNLOAD_DIR": str(pipeline.settings.download_dir), "STALL_SECONDS": "30"}  # fmt: skip
    # (bossctl runs its own event loop: in a thread)
    listed = await asyncio.to_thread(
        runner.invoke, app, ["queue", "list", "--status", "active", "--json"], env=env
    )
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert row["stalled"] is True and "reply" not in row
    text = await asyncio.to_thread(runner.invoke, app, ["queue", "list"], env=env)
    assert f"{job.id}  stalled" in text.stdout  # type: ignore[union-attr]
    await pipeline.cancel(job.id)  # type: ignore[union-attr]
