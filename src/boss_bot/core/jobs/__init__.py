"""Jobs, as every layer sees them: what a request asks for (:class:`JobRequest`), a job's
statuses and snapshot (:class:`Job`), the queue interface (:class:`JobQueue`), the per-job
meter behind the metrics, and the learnt upload limits.

Nothing here imports the store: the store implements :class:`JobQueue` (on SQLite or
PostgreSQL) and maps a :class:`JobRequest` to its row and back.
"""

from boss_bot.core.jobs.job import (
    ACTIVE_STATUSES,
    CANCELLED,
    FAILED,
    FINAL_STATUSES,
    KINDS,
    PREPARING,
    PREPARING_GRACE_SECONDS,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    UPLOADING,
    Job,
    JobQueue,
    read_job,
)
from boss_bot.core.jobs.limits import LimitBook
from boss_bot.core.jobs.metrics import SUCCESS, JobMeter, JobMetrics
from boss_bot.core.jobs.requests import InteractionReply, JobRequest, media_key_for, platform_of
from boss_bot.core.jobs.stall import stalled_for

__all__ = [
    "ACTIVE_STATUSES",
    "CANCELLED",
    "FAILED",
    "FINAL_STATUSES",
    "KINDS",
    "PREPARING",
    "PREPARING_GRACE_SECONDS",
    "QUEUED",
    "RUNNING",
    "SUCCEEDED",
    "SUCCESS",
    "UPLOADING",
    "InteractionReply",
    "Job",
    "JobMeter",
    "JobMetrics",
    "JobQueue",
    "JobRequest",
    "LimitBook",
    "media_key_for",
    "platform_of",
    "read_job",
    "stalled_for",
]
