"""Jobs: the registry of requests in flight and the download metrics, each behind a small
interface (in memory today; the persistence issue stores them, a later one shares them)."""

from boss_bot.core.jobs.metrics import (
    DownloadRecord,
    InMemoryMetrics,
    MetricsRecorder,
    MetricsSummary,
)
from boss_bot.core.jobs.registry import InMemoryJobRegistry, Job, JobRegistry, JobSpec, JobState

__all__ = [
    "DownloadRecord",
    "InMemoryJobRegistry",
    "InMemoryMetrics",
    "Job",
    "JobRegistry",
    "JobSpec",
    "JobState",
    "MetricsRecorder",
    "MetricsSummary",
]
