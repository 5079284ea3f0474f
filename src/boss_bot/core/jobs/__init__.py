"""Jobs: the queue interface the pipeline schedules through, what a request asks for, the
per-job meter behind the metrics, and the learnt upload limits.

The pipeline and the bot see a queue only through :class:`JobQueue` (enqueue, claim, set_stage,
complete, fail, cancel, retry, get, list, position/positions, statuses, recover). The store's
:class:`~boss_bot.core.store.queue.SqlJobQueue` implements it today; a distributed backend (the
Redis job engine of a later issue) is a second implementation, not a change to callers.
"""

from boss_bot.core.jobs.limits import LimitBook
from boss_bot.core.jobs.metrics import JobMeter
from boss_bot.core.jobs.requests import JobRequest, media_key_for
from boss_bot.core.store.queue import Job, JobQueue, JobSpec
from boss_bot.core.store.schema import (
    ACTIVE_STATUSES,
    CANCELLED,
    FAILED,
    FINAL_STATUSES,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    UPLOADING,
)

__all__ = [
    "ACTIVE_STATUSES",
    "CANCELLED",
    "FAILED",
    "FINAL_STATUSES",
    "QUEUED",
    "RUNNING",
    "SUCCEEDED",
    "UPLOADING",
    "Job",
    "JobMeter",
    "JobQueue",
    "JobRequest",
    "JobSpec",
    "LimitBook",
    "media_key_for",
]
