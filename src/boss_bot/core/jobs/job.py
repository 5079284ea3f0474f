"""A job as the rest of boss-bot sees it: its statuses, a snapshot (:class:`Job`), and the
queue interface (:class:`JobQueue`) the pipeline, the bot, the CLI and the API go through.

The store's :class:`~boss_bot.core.store.queue.SqlJobQueue` implements the interface (on SQLite
or PostgreSQL); nothing here knows about SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from boss_bot.core.jobs.requests import JobRequest

log = logging.getLogger(__name__)

#: Job statuses, in the order a job moves through them.
QUEUED = "queued"
RUNNING = "running"
UPLOADING = "uploading"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
ACTIVE_STATUSES = (QUEUED, RUNNING, UPLOADING)
FINAL_STATUSES = (SUCCEEDED, FAILED, CANCELLED)
#: The stage of a queued job whose host is still getting ready (a dispatcher posting its status
#: message): no worker claims it until :meth:`JobQueue.mark_ready` (or ``PREPARING_GRACE_SECONDS``
#: later, in case that host died meanwhile).
PREPARING = "preparing"
PREPARING_GRACE_SECONDS = 30.0

#: Job kinds.
KINDS = ("download", "download-only", "yt-download", "yt-playlist")


@dataclass(frozen=True)
class Job:
    """A snapshot of one job: what was asked (see :func:`~boss_bot.core.store.request_of` for
    the typed request) and where it stands."""

    id: str
    url: str
    user_id: int
    kind: str
    status: str
    stage: str
    platform: str
    guild_id: int | None
    channel_id: int | None
    message_id: int | None
    status_message_id: int | None
    media_key: str | None
    options: dict[str, Any]
    priority: int
    attempts: int
    resumed: bool
    error_code: str | None
    error_message: str | None
    work_dir: str | None
    posted_batches: int
    cancelled_by: int | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    #: Whether the downloaded media was marked sensitive (None: not downloaded yet).
    sensitive: bool | None = None
    #: Asked through an interaction: where it is answered (see ``InteractionReply``). Holds the
    #: interaction's token, so it is left out of the repr.
    reply: dict[str, Any] | None = field(default=None, repr=False)
    #: When it last changed stage or status (see :mod:`boss_bot.core.jobs.stall`).
    stage_at: float | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class JobQueue(Protocol):
    """The persisted queue: every request is a job before any work starts."""

    async def enqueue(self, request: JobRequest, *, preparing: bool = False) -> Job: ...
    async def mark_ready(self, job_id: str) -> None: ...
    async def mark_stale_ready(self, grace_seconds: float) -> int: ...
    async def claim(
        self,
        job_id: str | None = None,
        *,
        owner: str | None = None,
        lease_seconds: float | None = None,
    ) -> Job | None: ...
    async def set_stage(self, job_id: str, stage: str | None = None, **fields: Any) -> None: ...
    async def complete(self, job_id: str) -> Job | None: ...
    async def fail(self, job_id: str, code: str, message: str) -> Job | None: ...
    async def cancel(self, job_id: str, by: int | None = None) -> Job | None: ...
    async def retry(self, job_id: str) -> Job | None: ...
    async def get(self, job_id: str) -> Job | None: ...
    async def list(
        self, *, status: str | None = None, user_id: int | None = None, limit: int = 50
    ) -> list[Job]: ...
    async def position(self, job_id: str) -> int | None: ...
    async def positions(self) -> dict[str, int]: ...
    async def statuses(self, job_ids: Sequence[str]) -> dict[str, str]: ...
    async def set_priority(self, job_id: str, priority: int) -> Job | None: ...
    async def recover(self) -> list[Job]: ...
    async def renew(self, owner: str, job_ids: Sequence[str], lease_seconds: float) -> set[str]: ...
    async def reclaim_expired(self) -> list[Job]: ...
    async def release(self, owner: str) -> list[Job]: ...
    async def counts(self) -> dict[str, int]: ...


async def read_job(queue: JobQueue, job_id: str) -> Job | None:
    """``queue.get``, for callers that carry on without the job: a store error is logged and
    reads as None (a scheduler tick or a finishing job must not die of a database hiccup)."""
    try:
        return await queue.get(job_id)
    except Exception:
        log.exception("could not read job %s", job_id)
        return None


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
    "UPLOADING",
    "Job",
    "JobQueue",
    "read_job",
]
