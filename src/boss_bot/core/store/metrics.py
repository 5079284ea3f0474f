"""Per-job metrics and the statistics behind ``$stats``, ``$yt-stats`` and ``bossctl stats``.

The platform × tool split (and ``bossctl doctor``'s view of a primary tool) is computed in
:mod:`.tool_stats` from the same rows.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from boss_bot.core.jobs.metrics import METHODS, SUCCESS, JobMetrics
from boss_bot.core.store.schema import JobRow, MetricRow, now
from boss_bot.core.store.tool_stats import HEALTH_WINDOW, ToolHealth, ToolStats, primary_health
from boss_bot.core.store.tool_stats import tool_stats as split_by_tool


class MethodStats(BaseModel):
    count: int
    median_seconds: float | None


class JobTiming(BaseModel):
    job_id: str
    url: str
    seconds: float


class Stats(BaseModel):
    """Everything the stats commands show; also their ``--json`` output."""

    platform: str | None
    days: float
    count: int
    succeeded: int
    success_rate: float | None
    median_seconds: float | None
    p95_seconds: float | None
    methods: dict[str, MethodStats]
    bytes_downloaded: int
    bytes_uploaded: int
    compressions: int
    median_compression_ratio: float | None
    top_failures: list[tuple[str, int]]
    fastest: list[JobTiming]
    slowest: list[JobTiming]
    daily: dict[str, dict[str, int]]  # YYYY-MM-DD -> outcome -> count
    #: Success by platform × tool over the window (jobs since migration 0007).
    tools: list[ToolStats] = Field(default_factory=list)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty list (p95 of 20 values = the 19th)."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


class Metrics:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def record(self, m: JobMetrics) -> None:
        async with self._sessions.begin() as s:
            await s.merge(MetricRow(**m.__dict__, created_at=now()))

    async def stats(self, *, platform: str | None = None, days: float = 7) -> Stats:
        since = time.time() - days * 86_400
        query = (
            select(MetricRow, JobRow.url)
            .join(JobRow, JobRow.id == MetricRow.job_id)
            .where(MetricRow.created_at >= since)
        )
        if platform:
            query = query.where(MetricRow.platform == platform)
        async with self._sessions() as s:
            rows = (await s.execute(query)).all()
        return summarise([(m, url) for m, url in rows], platform=platform, days=days)

    async def tool_health(
        self, primaries: dict[str, tuple[str, ...]], *, window: int = HEALTH_WINDOW
    ) -> list[ToolHealth]:
        """Each platform's primary tools over their last ``window`` jobs as the first tool."""
        rows = []
        async with self._sessions() as s:
            for platform in primaries:
                query = (
                    select(MetricRow.platform, MetricRow.created_at, MetricRow.tool_attempts)
                    .where(MetricRow.platform == platform)
                    .order_by(MetricRow.created_at.desc())
                    .limit(window * 10)  # room for the jobs another tool was tried first
                )
                rows += (await s.execute(query)).all()
        return primary_health(rows, primaries, window=window)


def summarise(rows: list[tuple[MetricRow, str]], *, platform: str | None, days: float) -> Stats:
    """Pure: the :class:`Stats` of these metric rows (with their job URLs)."""
    ok = [(m, url) for m, url in rows if m.outcome == SUCCESS]
    durations = sorted(m.download_seconds for m, _ in ok if m.download_seconds is not None)
    by_method: dict[str, list[float]] = defaultdict(list)
    method_counts: Counter[str] = Counter()
    for m, _ in rows:
        if m.method:
            method_counts[m.method] += 1
            if m.outcome == SUCCESS and m.download_seconds is not None:
                by_method[m.method].append(m.download_seconds)
    ratios = [m.compression_ratio for m, _ in rows if m.compression_ratio is not None]
    timed = sorted(
        (JobTiming(job_id=m.job_id, url=url, seconds=m.download_seconds)
         for m, url in ok if m.download_seconds is not None),
        key=lambda t: t.seconds,
    )  # fmt: skip
    daily: dict[str, Counter[str]] = defaultdict(Counter)
    for m, _ in rows:
        day = datetime.fromtimestamp(m.created_at, UTC).strftime("%Y-%m-%d")
        daily[day][m.outcome if m.outcome in (SUCCESS, "cancelled") else "failed"] += 1
    return Stats(
        platform=platform,
        days=days,
        count=len(rows),
        succeeded=len(ok),
        success_rate=len(ok) / len(rows) if rows else None,
        median_seconds=_median(durations),
        p95_seconds=percentile(durations, 95) if durations else None,
        methods={
            name: MethodStats(
                count=method_counts.get(name, 0), median_seconds=_median(by_method[name])
            )
            for name in METHODS
        },
        bytes_downloaded=sum(m.bytes_downloaded for m, _ in rows),
        bytes_uploaded=sum(m.bytes_uploaded for m, _ in rows),
        compressions=sum(m.compressed_files for m, _ in rows),
        median_compression_ratio=_median(ratios),
        top_failures=Counter(m.outcome for m, _ in rows if m.outcome != SUCCESS).most_common(5),
        fastest=timed[:3],
        slowest=timed[::-1][:3],
        daily={d: dict(c) for d, c in sorted(daily.items())},
        tools=split_by_tool(m for m, _ in rows),
    )
