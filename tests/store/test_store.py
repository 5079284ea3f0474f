"""The store on a real database: each test on SQLite and PostgreSQL (tests/store/conftest.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import inspect, text, update

from boss_bot.core.errors import QueueFullError, QuotaExceededError
from boss_bot.core.jobs import JobRequest
from boss_bot.core.store import JobMetrics, Store, build_store
from boss_bot.core.store.migrate import current_revision, head_revision, upgrade
from boss_bot.core.store.schema import JobRow, MetricRow


def spec(user: int, n: int = 0, **kw: object) -> JobRequest:
    return JobRequest(url=f"https://example.com/{user}/{n}", user_id=user, **kw)  # type: ignore[arg-type]


async def test_migrations_upgrade_an_empty_database(store_settings) -> None:
    fresh = build_store(store_settings)
    try:
        assert await current_revision(fresh.engine) is None
        assert await upgrade(fresh.engine) == head_revision()
        assert await upgrade(fresh.engine) == head_revision()  # idempotent
        async with fresh.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"jobs", "job_files", "history", "metrics", "guild_limits"} <= tables
    finally:
        await fresh.close()


@pytest.mark.sqlite_only
async def test_sqlite_runs_in_wal_mode(store: Store) -> None:
    async with store.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000


async def test_round_robin_across_three_users(store: Store) -> None:
    users = (111, 222, 333)
    for user in users:  # user 111 pastes all five links first, then 222, then 333
        for n in range(1, 6):
            await store.queue.enqueue(spec(user, n))
    order = []
    while (job := await store.queue.claim()) is not None:
        order.append((job.user_id, job.url.rsplit("/", 1)[1]))
        await store.queue.complete(job.id)
    assert order == [(u, str(n)) for n in range(1, 6) for u in users]


async def test_the_user_served_longest_ago_goes_first(store: Store) -> None:
    """Whole histories count: a user with many past jobs, last served long ago, goes before a
    user served a moment ago, however old that user's waiting job."""
    for n in range(30):  # user 1: a long history, last served an hour ago
        old = await store.queue.enqueue(spec(1, 100 + n))
        await store.queue.claim(old.id)
        await store.queue.complete(old.id)
    async with store.engine.begin() as conn:
        await conn.execute(update(JobRow).values(started_at=time.time() - 3600 - 1))
        await conn.execute(
            update(JobRow).where(JobRow.url.like("%/1/129")).values(started_at=time.time() - 3600)
        )
    recent = await store.queue.enqueue(spec(2, 1))  # user 2: served just now
    await store.queue.claim(recent.id)
    await store.queue.complete(recent.id)
    b = await store.queue.enqueue(spec(2, 2))
    a = await store.queue.enqueue(spec(1, 1))
    c = await store.queue.enqueue(spec(3, 1))  # user 3: never served
    assert await store.queue.positions() == {c.id: 1, a.id: 2, b.id: 3}
    assert [(await store.queue.claim()).id for _ in range(3)] == [c.id, a.id, b.id]  # type: ignore[union-attr]
    assert await store.queue.claim() is None


async def test_positions_follow_the_fair_order(store: Store) -> None:
    a1 = await store.queue.enqueue(spec(1, 1))
    a2 = await store.queue.enqueue(spec(1, 2))
    b1 = await store.queue.enqueue(spec(2, 1))
    assert [await store.queue.position(j.id) for j in (a1, b1, a2)] == [1, 2, 3]
    claimed = await store.queue.claim()
    assert claimed is not None and claimed.id == a1.id
    assert await store.queue.position(a1.id) is None
    assert await store.queue.position(b1.id) == 1


async def test_priority_breaks_ties_within_a_round(store: Store) -> None:
    await store.queue.enqueue(spec(1, 1))
    boosted = await store.queue.enqueue(spec(2, 1, priority=5))
    first = await store.queue.claim()
    assert first is not None and first.id == boosted.id


async def test_queue_limits(store: Store) -> None:
    store.queue.max_per_user = 2
    await store.queue.enqueue(spec(1, 1))
    await store.queue.enqueue(spec(1, 2))
    with pytest.raises(QueueFullError) as info:
        await store.queue.enqueue(spec(1, 3))
    assert "wait for one to finish" in info.value.user_message
    store.queue.max_queue_size = 3
    await store.queue.enqueue(spec(2, 1))
    with pytest.raises(QueueFullError, match="queue full"):
        await store.queue.enqueue(spec(3, 1))


async def test_first_outcome_wins_and_retry(store: Store) -> None:
    job = await store.queue.enqueue(spec(1))
    await store.queue.claim(job.id)
    cancelled = await store.queue.cancel(job.id, by=42)
    assert (
        cancelled is not None and cancelled.status == "cancelled" and cancelled.cancelled_by == 42
    )
    late = await store.queue.complete(job.id)
    assert late is not None and late.status == "cancelled"
    again = await store.queue.retry(job.id)
    assert again is not None and again.status == "queued" and again.cancelled_by is None
    claimed = await store.queue.claim(job.id)
    assert claimed is not None and claimed.attempts == 2


async def test_recover_requeues_running_jobs(store: Store) -> None:
    running = await store.queue.enqueue(spec(1))
    await store.queue.claim(running.id)
    await store.queue.set_stage(running.id, "downloading", work_dir="/tmp/x")
    waiting = await store.queue.enqueue(spec(2))
    recovered = await store.queue.recover()
    assert [j.id for j in recovered] == [running.id]
    assert recovered[0].resumed and recovered[0].work_dir == "/tmp/x"
    assert {j.id for j in await store.queue.list(status="queued")} == {running.id, waiting.id}


async def test_history_window_per_guild(store: Store) -> None:
    job = await store.queue.enqueue(spec(1, guild_id=10))
    await store.history.record_post(
        "youtube:abc", 10, job.id, "https://discord.com/channels/10/2/3"
    )
    prior = await store.history.recent_post("youtube:abc", 10, 3600)
    assert prior is not None and prior.jump_url.endswith("/3")
    assert await store.history.recent_post("youtube:abc", 11, 3600) is None
    assert await store.history.recent_post("youtube:zzz", 10, 3600) is None
    assert await store.history.recent_post("youtube:abc", 10, 0) is None


async def test_quota_refusals_carry_the_retry_time(store: Store) -> None:
    store.quotas.user_limit, store.quotas.user_window = 2, 600
    await store.queue.enqueue(spec(7, 1))
    await store.queue.enqueue(spec(7, 2))
    with pytest.raises(QuotaExceededError) as info:
        await store.quotas.check(user_id=7, guild_id=1)
    assert 590 <= info.value.retry_after_seconds <= 600
    assert "try again in 10 min" in info.value.user_message
    await store.quotas.check(user_id=7, guild_id=1, admin=True)  # admins are exempt

    store.quotas.guild_daily_bytes = 1000
    job = await store.queue.enqueue(spec(8, guild_id=5))
    await store.metrics.record(
        JobMetrics(
            job_id=job.id, platform="generic", outcome="success", guild_id=5, bytes_downloaded=1500
        )
    )
    with pytest.raises(QuotaExceededError) as info:
        await store.quotas.check(user_id=8, guild_id=5)
    assert 0 < info.value.retry_after_seconds <= 86_400
    assert "00:00 UTC" in info.value.user_message


async def test_learned_limits_only_go_down(store: Store) -> None:
    assert await store.limits.get(9) is None
    assert await store.limits.lower_to(9, 8 * 2**20) == 8 * 2**20
    assert await store.limits.lower_to(9, 9 * 2**20) == 8 * 2**20
    assert await store.limits.get(9) == 8 * 2**20


async def test_stats_match_the_jobs_that_ran(store: Store, tmp_path: Path) -> None:
    rows = [  # (platform, method, seconds, outcome, bytes, ratio)
        ("youtube", "api", 1.0, "success", 100, 0.5),
        ("youtube", "api", 3.0, "success", 200, None),
        ("youtube", "cli_fallback", 5.0, "success", 300, 0.25),
        ("youtube", "api", 9.0, "not_found", 0, None),
        ("twitter", "cli", 2.0, "success", 50, None),
    ]
    for i, (platform, method, secs, outcome, nbytes, ratio) in enumerate(rows):
        job = await store.queue.enqueue(spec(i))
        await store.metrics.record(
            JobMetrics(
                job_id=job.id,
                platform=platform,
                method=method,
                download_seconds=secs,
                outcome=outcome,
                bytes_downloaded=nbytes,
                bytes_uploaded=nbytes,
                compression_ratio=ratio,
                compressed_files=1 if ratio else 0,
            )
        )
    yt = await store.metrics.stats(platform="youtube", days=7)
    assert (yt.count, yt.succeeded) == (4, 3)
    assert yt.success_rate == pytest.approx(0.75)
    assert yt.median_seconds == 3.0 and yt.p95_seconds == 5.0
    assert yt.methods["api"].count == 3 and yt.methods["api"].median_seconds == 2.0
    assert yt.methods["cli_fallback"].median_seconds == 5.0
    assert yt.methods["cli"].count == 0
    assert yt.bytes_downloaded == 600 and yt.compressions == 2
    assert yt.median_compression_ratio == pytest.approx(0.375)
    assert yt.top_failures == [("not_found", 1)]
    assert [t.seconds for t in yt.fastest] == [1.0, 3.0, 5.0]
    assert yt.slowest[0].seconds == 5.0
    everything = await store.metrics.stats(days=7)
    assert everything.count == 5
    assert sum(sum(d.values()) for d in everything.daily.values()) == 5

    png = await store.chart_png(everything, tmp_path / "stats.png")
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size == (900, 420)


async def test_stats_window_excludes_old_rows(store: Store) -> None:
    job = await store.queue.enqueue(spec(1))
    await store.metrics.record(JobMetrics(job_id=job.id, platform="generic", outcome="success"))
    async with store.engine.begin() as conn:
        await conn.execute(update(MetricRow).values(created_at=time.time() - 10 * 86_400))
        await conn.execute(update(JobRow).values(created_at=time.time() - 10 * 86_400))
    assert (await store.metrics.stats(days=7)).count == 0
    assert (await store.metrics.stats(days=30)).count == 1


async def test_leases_renew_expire_and_release(store: Store) -> None:
    """Distributed mode: a worker's lease keeps its job; a lapsed lease puts the job back in
    the queue (resumed) for another worker; a stopping worker hands its jobs back at once."""
    q = store.queue
    a = await q.enqueue(spec(1, 0))
    b = await q.enqueue(spec(2, 0))
    got_a = await q.claim(owner="w1", lease_seconds=60)
    got_b = await q.claim(owner="w2", lease_seconds=60)
    assert {got_a.id, got_b.id} == {a.id, b.id}  # type: ignore[union-attr]
    # Only the owner renews, and only jobs still running.
    assert await q.renew("w1", [got_a.id, got_b.id], 60) == {got_a.id}  # type: ignore[union-attr]
    assert await q.reclaim_expired() == []
    # w2 stops renewing: its lease runs out (moved into the past here) and the job is queued.
    async with store.queue._sessions.begin() as s:
        await s.execute(
            update(JobRow).where(JobRow.id == got_b.id).values(lease_expires_at=time.time() - 1)  # type: ignore[union-attr]
        )
    [reclaimed] = await q.reclaim_expired()
    assert reclaimed.id == got_b.id and reclaimed.status == "queued" and reclaimed.resumed  # type: ignore[union-attr]
    assert await q.renew("w2", [got_b.id], 60) == set()  # type: ignore[union-attr]  # lost
    # Another worker takes it; attempts count both runs.
    again = await q.claim(owner="w3", lease_seconds=60)
    assert again is not None and again.id == got_b.id and again.attempts == 2  # type: ignore[union-attr]
    # w1 shuts down gracefully: its job goes back without waiting for the lease.
    [released] = await q.release("w1")
    assert released.id == got_a.id and released.status == "queued"  # type: ignore[union-attr]
    # A finished job is never reclaimed, whatever its lease says.
    await q.complete(again.id)
    async with store.queue._sessions.begin() as s:
        await s.execute(update(JobRow).values(lease_expires_at=time.time() - 1))
    assert await q.reclaim_expired() == []


async def test_a_preparing_job_keeps_its_place_but_is_claimed_only_once_ready(
    store: Store,
) -> None:
    """Distributed mode: the bot enqueues a command's job as ``preparing`` while it posts the
    status message. A worker's claim (for any ticket) passes it over, so no worker posts a
    second status message; its queue position still counts it. Once ready it is claimed, and
    a job whose dispatcher died before that is opened after the grace."""
    q = store.queue
    held = await q.enqueue(spec(1, 0), preparing=True)
    assert held.stage == "preparing" and held.status == "queued"
    other = await q.enqueue(spec(2, 0))
    assert await q.position(held.id) == 1 and await q.position(other.id) == 2
    got = await q.claim(owner="w1", lease_seconds=60)
    assert got is not None and got.id == other.id
    assert await q.claim(owner="w1", lease_seconds=60) is None  # only the preparing one is left
    await q.mark_ready(held.id)
    ready = await q.claim(owner="w1", lease_seconds=60)
    assert ready is not None and ready.id == held.id and ready.stage == "starting"
    await q.mark_ready(held.id)  # a late mark changes nothing once the job runs
    assert (await q.get(held.id)).stage == "starting"  # type: ignore[union-attr]

    abandoned = await q.enqueue(spec(3, 0), preparing=True)
    assert await q.mark_stale_ready(60) == 0  # younger than the grace: its host may be posting
    assert await q.claim(owner="w2", lease_seconds=60) is None
    assert await q.mark_stale_ready(0) == 1
    again = await q.claim(owner="w2", lease_seconds=60)
    assert again is not None and again.id == abandoned.id
