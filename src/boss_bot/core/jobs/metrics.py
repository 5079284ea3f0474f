"""Download metrics: one record per download, and the summary ``yt-stats`` shows.

In memory for now (:class:`InMemoryMetrics`, a bounded window); the persistence issue makes it
durable behind the same :class:`MetricsRecorder` interface, so callers never touch storage.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

SUCCESS = "success"


@dataclass(frozen=True)
class DownloadRecord:
    """One finished (or failed) download. ``outcome`` is ``success`` or the error's code."""

    platform: str
    method: str  # api, cli, cli_fallback ("" when it failed before a method ran)
    seconds: float
    bytes: int
    outcome: str
    at: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.outcome == SUCCESS


@dataclass(frozen=True)
class MetricsSummary:
    count: int
    successes: int
    median_seconds: float | None
    p95_seconds: float | None
    by_method: dict[str, int]
    total_bytes: int

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.count if self.count else None


class MetricsRecorder(Protocol):
    def record(self, record: DownloadRecord) -> None: ...

    def summary(self, platform: str | None = None) -> MetricsSummary:
        """Over all records (or one platform's)."""
        ...


def summarise(records: Iterable[DownloadRecord]) -> MetricsSummary:
    """Count, success rate, median/p95 of successful downloads' durations, method split."""
    rows = list(records)
    durations = sorted(r.seconds for r in rows if r.ok)
    return MetricsSummary(
        count=len(rows),
        successes=sum(1 for r in rows if r.ok),
        median_seconds=statistics.median(durations) if durations else None,
        p95_seconds=percentile(durations, 95) if durations else None,
        by_method=dict(Counter(r.method for r in rows if r.method)),
        total_bytes=sum(r.bytes for r in rows if r.ok),
    )


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty list (p95 of 20 values = the 19th)."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


class InMemoryMetrics:
    """The last ``window`` records in memory."""

    def __init__(self, window: int = 10_000) -> None:
        self._records: deque[DownloadRecord] = deque(maxlen=window)

    def record(self, record: DownloadRecord) -> None:
        self._records.append(record)

    def summary(self, platform: str | None = None) -> MetricsSummary:
        return summarise(r for r in self._records if platform is None or r.platform == platform)


__all__ = [
    "SUCCESS",
    "DownloadRecord",
    "InMemoryMetrics",
    "MetricsRecorder",
    "MetricsSummary",
    "percentile",
    "summarise",
]
