"""The pipeline on a real SQLite store: fair order, recovery, dedup, the archive, records, quotas.

Real downloads from the local media server through the shared warm worker pool; the uploader is
the recording one (test_bot_* run the same paths through discord.py and the Discord double).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from boss_bot.core.errors import QuotaExceededError
from boss_bot.core.jobs import Job, JobRequest
from boss_bot.core.pipeline import AlreadyPosted, Attachment, JobResult
from boss_bot.core.store.schema import FileRow, JobRow, MetricRow
from tests.bot.pipeline_support import RecordingUploader, StartPipeline, eventually, request
from tests.persistence.conftest import RecordingHost, SlowClip
from tests.support.media_server import MediaServer

USERS = (111, 222, 333)


async def _submit(pipeline, req, attachment: Attachment | None = None) -> Job:  # type: ignore[no-untyped-def]
    job = await pipeline.submit(req, attachment=attachment or Attachment())
    assert isinstance(job, Job), job
    return job


async def test_fair_order_three_users_five_jobs_each(
    start_pipeline: StartPipeline, media_server: MediaServer
) -> None:
    """User 111 pastes five links, then 222, then 333: they run one per user per round."""
    pipeline = await start_pipeline(start=False, max_concurrent_downloads=2)
    jobs: dict[str, tuple[int, int]] = {}
    for user in USERS:
        for n in range(1, 6):
            url = media_server.url(f"img{n}.jpg?from={user}-{n}")
            job = await _submit(pipeline, request(url, user=user, upload=False))
            jobs[job.id] = (user, n)
    expected = [(u, n) for n in range(1, 6) for u in USERS]
    positions = await pipeline.queue.positions()
    assert sorted(jobs.values(), key=lambda un: positions[_id(jobs, un)]) == expected

    await pipeline.start()
    results = await asyncio.wait_for(asyncio.gather(*(pipeline.wait(j) for j in jobs)), 60)
    assert [r.outcome for r in results] == ["done"] * 15, [r.error for r in results]
    async with pipeline.store.engine.connect() as conn:
        rows = (await conn.execute(select(JobRow.id).order_by(JobRow.started_at))).all()
    assert [jobs[r.id] for r in rows] == expected


def _id(jobs: dict[str, tuple[int, int]], value: tuple[int, int]) -> str:
    return next(k for k, v in jobs.items() if v == value)


async def test_recovery_removes_partial_files_then_reruns_and_tells_the_host(
    start_pipeline: StartPipeline, media_server: MediaServer
) -> None:
    """The database says a job was running when the process died, with half a file on disk."""
    first = await start_pipeline(start=False)
    store = first.store
    url = media_server.url("photo.jpg")
    crashed = await store.queue.enqueue(request(url, user=5))
    await store.queue.claim(crashed.id)
    work = first.settings.requests_dir / f"job-{crashed.id}"
    (work / "boss-staging-x").mkdir(parents=True)
    (work / "boss-staging-x" / "photo.jpg.part").write_bytes(b"\0" * 5000)
    await store.queue.set_stage(crashed.id, "downloading", work_dir=str(work))
    waiting = await store.queue.enqueue(request(media_server.url("image.png"), user=6))
    outside = first.settings.download_dir / "keep-me"
    outside.mkdir(parents=True)
    tampered = await store.queue.enqueue(request(url + "?t", user=7, upload=False))
    await store.queue.claim(tampered.id)
    await store.queue.set_stage(tampered.id, "downloading", work_dir=str(outside))

    host = RecordingHost()
    pipeline = await start_pipeline(start=False, store=store, host=host)
    resumed = await pipeline.start()
    assert {j.id for j in resumed} == {crashed.id, tampered.id}
    assert not work.exists()  # removed before anything ran again
    assert outside.is_dir()  # a work_dir outside the requests directory is never deleted
    results = await asyncio.wait_for(
        asyncio.gather(*(pipeline.wait(j) for j in (crashed.id, waiting.id, tampered.id))), 30
    )
    assert [r.outcome for r in results] == ["done"] * 3, [r.error for r in results]
    reasons = {job.id: (reason, job.resumed) for job, reason in host.adopted}
    assert reasons == {
        crashed.id: ("restart", True),
        waiting.id: ("restart", False),
        tampered.id: ("restart", True),
    }
    again = await store.queue.get(crashed.id)
    assert again is not None and (again.status, again.attempts, again.resumed) == (
        "succeeded", 2, True,
    )  # fmt: skip
    assert len(host.uploader.batches) == 2
    assert list(pipeline.settings.requests_dir.iterdir()) == []


async def test_graceful_close_leaves_the_job_for_the_next_start(
    start_pipeline: StartPipeline, slow_clip: SlowClip
) -> None:
    first = await start_pipeline()
    job = await _submit(first, request(slow_clip.url, upload=False))
    work = first.settings.requests_dir / f"job-{job.id}"
    await eventually(lambda: any(p.is_file() for p in work.rglob("*")), 15)
    await first.close()
    assert (await first.wait(job.id)).outcome == "interrupted"
    assert not work.exists()
    stored = await first.store.queue.get(job.id)
    assert stored is not None and stored.status == "running"  # not lost, not cancelled

    host = RecordingHost()
    second = await start_pipeline(start=False, store=first.store, host=host)
    await second.start()
    result = await asyncio.wait_for(second.wait(job.id), 30)
    assert result.outcome == "done" and result.saved_files[0].read_bytes() == (
        slow_clip.path.read_bytes()
    )
    assert [(j.id, reason, j.resumed) for j, reason in host.adopted] == [(job.id, "restart", True)]


async def test_cancel_in_the_database_stops_a_running_job(
    start_pipeline: StartPipeline, slow_clip: SlowClip
) -> None:
    """What ``bossctl queue cancel`` does while the bot runs the job."""
    pipeline = await start_pipeline()
    job = await _submit(pipeline, request(slow_clip.url, upload=False))
    work = pipeline.settings.requests_dir / f"job-{job.id}"
    await eventually(lambda: any(p.is_file() for p in work.rglob("*")), 15)
    started = time.monotonic()
    await pipeline.store.queue.cancel(job.id, by=0)  # another process's write
    result = await asyncio.wait_for(pipeline.wait(job.id), 10)
    assert result.outcome == "cancelled"
    assert time.monotonic() - started < 3  # seen within the ~1 s poll
    assert not work.exists()
    stored = await pipeline.store.queue.get(job.id)
    assert stored is not None and (stored.status, stored.cancelled_by) == ("cancelled", 0)


async def test_dedup_links_the_earlier_post_per_guild_and_force_reposts(
    start_pipeline: StartPipeline, media_server: MediaServer
) -> None:
    pipeline = await start_pipeline()
    uploader = RecordingUploader(10 * 2**20)
    url = media_server.url("photo.jpg")
    first = await pipeline.run(request(url), attachment=Attachment(uploader))
    assert isinstance(first, JobResult) and first.outcome == "done"
    assert first.jump_url == uploader.posted[0].jump_url

    same = url.replace("http://", "HTTP://") + "#again"  # spelt differently, same media
    again = await pipeline.run(request(same), attachment=Attachment(uploader))
    assert isinstance(again, AlreadyPosted)
    assert (again.job_id, again.jump_url) == (first.job.id, uploader.posted[0].jump_url)
    assert len(uploader.batches) == 1

    forced = await pipeline.run(request(url, force=True), attachment=Attachment(uploader))
    elsewhere = await pipeline.run(request(url, guild=2), attachment=Attachment(uploader))
    in_a_dm = await pipeline.run(request(url, guild=None), attachment=Attachment(uploader))
    for r in (forced, elsewhere, in_a_dm):
        assert isinstance(r, JobResult) and r.outcome == "done"
    assert len(uploader.batches) == 4

    [row] = await pipeline.store.history.files(first.job.id)
    assert row.message_id == uploader.posted[0].message_id and row.jump_url == first.jump_url
    assert row.sha256 is not None and len(row.sha256) == 64 and row.mime_type == "image/jpeg"
    assert row.compressed_from_bytes is None and not row.archived


async def test_no_dedup_outside_the_window(
    start_pipeline: StartPipeline, media_server: MediaServer
) -> None:
    pipeline = await start_pipeline(dedup_window_hours=0)
    uploader = RecordingUploader(10 * 2**20)
    for _ in range(2):
        r = await pipeline.run(
            request(media_server.url("image.png")), attachment=Attachment(uploader)
        )
        assert isinstance(r, JobResult) and r.outcome == "done"
    assert len(uploader.batches) == 2


async def test_archive_stores_identical_content_once(
    start_pipeline: StartPipeline, media_server: MediaServer, media_dir: Path
) -> None:
    """clip.mp4 and c2.mp4 are the same bytes behind two links."""
    pipeline = await start_pipeline()
    a = await pipeline.run(request(media_server.url("clip.mp4"), upload=False))
    b = await pipeline.run(request(media_server.url("c2.mp4"), upload=False))
    assert isinstance(a, JobResult) and isinstance(b, JobResult)
    assert (a.outcome, b.outcome, a.duplicates, b.duplicates) == ("done", "done", 0, 1)
    assert b.saved_files == a.saved_files
    [kept] = a.saved_files
    assert kept.read_bytes() == (media_dir / "clip.mp4").read_bytes()
    media = [p for p in pipeline.settings.download_dir.rglob("*.mp4")]
    assert media == [kept]
    [fa] = await pipeline.store.history.files(a.job.id)
    [fb] = await pipeline.store.history.files(b.job.id)
    assert fa.path == fb.path == str(kept) and fa.sha256 == fb.sha256 and fb.archived


async def test_every_job_gets_a_metrics_row_and_its_files(
    start_pipeline: StartPipeline, media_server: MediaServer, media_dir: Path
) -> None:
    pipeline = await start_pipeline()
    uploader = RecordingUploader(60_000)  # big.mp4 must be compressed (and split) to fit
    ok = await pipeline.run(request(media_server.url("big.mp4")), attachment=Attachment(uploader))
    bad = await pipeline.run(request(media_server.url("status/404"), upload=False))
    assert isinstance(ok, JobResult) and ok.outcome == "done", ok
    assert isinstance(bad, JobResult) and bad.outcome == "failed"
    async with pipeline.store.engine.connect() as conn:
        metrics = {
            m.job_id: m for m in (await conn.execute(select(MetricRow))).all()
        }  # fmt: skip
        files = (await conn.execute(select(FileRow).where(FileRow.job_id == ok.job.id))).all()
    m = metrics[ok.job.id]
    original = (media_dir / "big.mp4").stat().st_size
    posted = sum(f.size_bytes for b in uploader.batches for f in b.files)
    assert (m.platform, m.outcome, m.method) == ("generic", "success", "api")
    assert m.bytes_downloaded == original and m.bytes_uploaded == posted
    assert m.compressed_files == 1 and m.compression_ratio == pytest.approx(posted / original)
    assert m.download_seconds > 0 and m.upload_seconds is not None and m.compression_seconds
    assert metrics[bad.job.id].outcome == "not_found"
    assert len(files) == len([f for b in uploader.batches for f in b.files]) >= 2
    assert all(f.compressed_from_bytes == original and f.width and f.height for f in files)
    assert {f.message_id for f in files} == {p.message_id for p in uploader.posted}


async def test_quotas_refuse_with_the_right_retry_time(
    start_pipeline: StartPipeline, media_server: MediaServer
) -> None:
    pipeline = await start_pipeline(user_rate_limit=2, user_rate_window_seconds=600)
    jobs = [await _submit(pipeline, request(media_server.url(f"img{i}.jpg"), upload=False))
            for i in (1, 2)]  # fmt: skip
    with pytest.raises(QuotaExceededError) as info:
        await pipeline.submit(request(media_server.url("img3.jpg"), upload=False))
    expected = jobs[0].created_at + 600 - time.time()
    assert info.value.retry_after_seconds == pytest.approx(expected, abs=1.0)
    assert "try again in 10 min" in info.value.user_message
    admin = await pipeline.submit(request(media_server.url("img3.jpg"), upload=False), admin=True)
    assert isinstance(admin, Job)  # admins are exempt
    for job in (*jobs, admin):
        await asyncio.wait_for(pipeline.wait(job.id), 30)


async def test_guild_daily_quota_resets_at_midnight_utc(
    start_pipeline: StartPipeline, media_server: MediaServer
) -> None:
    pipeline = await start_pipeline(guild_daily_quota_mb=1)
    done = await pipeline.run(request(media_server.url("big.mp4"), upload=False))  # > 1 MiB
    assert isinstance(done, JobResult) and done.outcome == "done"
    with pytest.raises(QuotaExceededError) as info:
        await pipeline.submit(request(media_server.url("photo.jpg"), upload=False))
    now = time.time()
    assert info.value.retry_after_seconds == pytest.approx(86_400 - now % 86_400, abs=1.0)
    assert "00:00 UTC" in info.value.user_message
    other = await pipeline.run(request(media_server.url("photo.jpg"), upload=False, guild=9))
    assert isinstance(other, JobResult) and other.outcome == "done"  # per guild


async def test_jobs_are_rows_before_work_starts(start_pipeline: StartPipeline) -> None:
    pipeline = await start_pipeline(start=False)
    job = await _submit(pipeline, request("https://example.com/never-runs.jpg", upload=False))
    async with pipeline.store.engine.connect() as conn:
        status = (await conn.execute(select(JobRow.status).where(JobRow.id == job.id))).scalar()
    assert status == "queued"
    spec = job.options
    assert spec == {"download": {}, "upload": False, "one_file_per_message": False, "force": False,
                    "auto": False, "spoiler": False, "on_sensitive": "spoiler",
                    "too_big": "compress"}  # fmt: skip
    assert isinstance(await pipeline.store.queue.enqueue(JobRequest(url="x", user_id=1)), Job)
