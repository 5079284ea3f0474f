"""Metrics rows that tell a story about the tools: "twitter: gallery-dl failing since Tuesday,
yt-dlp serving", while reddit's gallery-dl is fine. Recorded through the real store API, then
dated by hand (``created_at``), so no test waits for days to pass."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from boss_bot.core.jobs import JobMetrics, JobRequest
from boss_bot.core.store import Store
from boss_bot.core.store.schema import MetricRow
from boss_bot.core.tools.fallback import ToolAttempt

DAY = 86_400.0
#: "Now" for the story: a Thursday noon (UTC); Tuesday is two days before.
NOW = 1_765_454_400.0  # Thu 2025-12-11 12:00 UTC
TUESDAY = NOW - 2 * DAY

GDL_OK = (ToolAttempt.served("gallery-dl"),)
GDL_BROKEN = (
    ToolAttempt("gallery-dl", "extractor_error", "failed"),
    ToolAttempt.served("yt-dlp"),
)
GDL_PRIVATE = (ToolAttempt("gallery-dl", "access_denied", "definitive"),)


@dataclass(frozen=True)
class Story:
    last_gdl_success: float
    first_gdl_failure: float
    last_gdl_failure: float
    last_ytdlp_success: float


async def record(
    store: Store, platform: str, attempts: tuple[ToolAttempt, ...], at: float, n: int
) -> str:
    """One job with these tool attempts, finished at ``at``; returns its id."""
    job = await store.queue.enqueue(JobRequest(url=f"https://x.com/u/status/{n}", user_id=n))
    served = [a.tool for a in attempts if a.verdict == "success"]
    tool = (served or [attempts[-1].tool])[-1]
    outcome = "success" if served else attempts[-1].outcome
    await store.metrics.record(
        JobMetrics(
            job_id=job.id, platform=platform, outcome=outcome, method="api",
            tool=tool, fallback_tool=tool != attempts[0].tool, tool_attempts=attempts,
        )
    )  # fmt: skip
    async with store.engine.begin() as conn:
        await conn.execute(
            update(MetricRow).where(MetricRow.job_id == job.id).values(created_at=at)
        )
    return job.id


async def seed_story(store: Store) -> Story:
    """Twitter: gallery-dl served 3 jobs (Sun, Mon), then from Tuesday 09:00 failed 10 jobs
    (yt-dlp served each) with one private tweet in between (the site's answer, not a failure).
    Reddit: gallery-dl served 6 jobs."""
    n = 0
    for i in range(3):
        n += 1
        await record(store, "twitter", GDL_OK, TUESDAY - 2 * DAY + i * 3600, n)
    last_ok = TUESDAY - 2 * DAY + 2 * 3600
    first_failure = TUESDAY - 3 * 3600  # Tue 09:00
    times = [first_failure + i * 4 * 3600 for i in range(10)]
    for i, at in enumerate(times):
        n += 1
        await record(store, "twitter", GDL_BROKEN, at, n)
        if i == 4:
            n += 1
            await record(store, "twitter", GDL_PRIVATE, at + 60, n)
    for i in range(6):
        n += 1
        await record(store, "reddit", GDL_OK, TUESDAY + i * 3600, n)
    return Story(last_ok, first_failure, times[-1], times[-1])
