"""The persisted job queue: every request is a row before any work starts.

The interface (:class:`JobQueue`: enqueue, claim, set_stage, complete, fail, cancel, retry,
get, list, position, recover) is all the rest of boss-bot sees. Distributed mode
(:mod:`boss_bot.core.distributed`) keeps this queue, on PostgreSQL, as the source of truth for
order, fairness and quotas, and adds leases (:meth:`SqlJobQueue.renew`,
:meth:`SqlJobQueue.reclaim_expired`) so a job whose worker died is run again elsewhere.

Claims are optimistic: the scheduler picks the next job in Python (:mod:`.fairness`, over at most
MAX_QUEUE_SIZE rows) and moves it with ``UPDATE … WHERE id = ? AND status = 'queued'``; a lost
race simply picks again. That is correct on SQLite and PostgreSQL alike, with short transactions.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import raiseload

from boss_bot.core.errors import QueueFullError
from boss_bot.core.store import schema
from boss_bot.core.store.fairness import Candidate, fair_order, next_job
from boss_bot.core.store.schema import JobRow, now


@dataclass(frozen=True)
class JobSpec:
    """What someone asked for. Ids are plain ints so no Discord type reaches the core."""

    url: str
    user_id: int
    kind: str = "download"
    guild_id: int | None = None
    channel_id: int | None = None
    message_id: int | None = None
    platform: str = "generic"
    media_key: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    priority: int = 0


@dataclass(frozen=True)
class Job:
    """A snapshot of one job row."""

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

    @property
    def active(self) -> bool:
        return self.status in schema.ACTIVE_STATUSES

    @classmethod
    def from_row(cls, row: JobRow) -> Job:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


class JobQueue(Protocol):
    async def enqueue(self, spec: JobSpec) -> Job: ...
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


#: Job snapshots never need the job's files: skip the relationship's extra SELECT.
_NO_FILES = (raiseload(JobRow.files),)


def new_job_id() -> str:
    """Short enough to type after ``$cancel``, random enough not to guess (48 bits)."""
    return secrets.token_hex(6)


class SqlJobQueue:
    """:class:`JobQueue` on the SQL store."""

    def __init__(
        self, sessions: async_sessionmaker, *, max_queue_size: int, max_per_user: int
    ) -> None:
        self._sessions = sessions
        self.max_queue_size = max_queue_size
        self.max_per_user = max_per_user

    async def enqueue(self, spec: JobSpec) -> Job:
        """Persist a queued job, or raise :class:`QueueFullError` (overall or per user)."""
        async with self._sessions.begin() as s:
            active = (
                await s.execute(
                    select(JobRow.user_id, func.count())
                    .where(JobRow.status.in_(schema.ACTIVE_STATUSES))
                    .group_by(JobRow.user_id)
                )
            ).all()
            total = sum(n for _, n in active)
            mine = next((n for uid, n in active if uid == spec.user_id), 0)
            if total >= self.max_queue_size:
                raise QueueFullError(
                    f"queue full ({total})",
                    user_message="The queue is full right now; try again in a few minutes.",
                )
            if mine >= self.max_per_user:
                raise QueueFullError(
                    f"user {spec.user_id} has {mine} jobs",
                    user_message=f"You already have {mine} downloads waiting or running; "
                    "wait for one to finish.",
                )
            row = JobRow(
                id=new_job_id(),
                url=spec.url,
                user_id=spec.user_id,
                kind=spec.kind,
                guild_id=spec.guild_id,
                channel_id=spec.channel_id,
                message_id=spec.message_id,
                platform=spec.platform,
                media_key=spec.media_key,
                options=dict(spec.options),
                priority=spec.priority,
                status=schema.QUEUED,
                stage=schema.QUEUED,
                attempts=0,
                resumed=False,
                posted_batches=0,
                created_at=now(),
            )
            s.add(row)
            await s.flush()
            return Job.from_row(row)

    async def _order(self) -> list[Candidate]:
        queued, served = await self._candidates()
        return fair_order(queued, served)

    async def _candidates(self) -> tuple[list[Candidate], dict[int, float]]:
        """The queued jobs and, for their users, when each was last served."""
        async with self._sessions() as s:
            queued = (
                await s.execute(
                    select(JobRow.id, JobRow.user_id, JobRow.priority, JobRow.created_at).where(
                        JobRow.status == schema.QUEUED
                    )
                )
            ).all()
            users = {q.user_id for q in queued}
            # Only the users waiting matter: keeps the claim cheap however long the history.
            served = (
                dict(
                    (
                        await s.execute(
                            select(JobRow.user_id, func.max(JobRow.started_at))
                            .where(JobRow.started_at.is_not(None), JobRow.user_id.in_(users))
                            .group_by(JobRow.user_id)
                        )
                    ).all()
                )
                if users
                else {}
            )
        return [Candidate(*q) for q in queued], served

    async def claim(
        self,
        job_id: str | None = None,
        *,
        owner: str | None = None,
        lease_seconds: float | None = None,
    ) -> Job | None:
        """queued → running: ``job_id``, or the fair next one. None when there is none.

        A worker in distributed mode passes ``owner`` and ``lease_seconds``: the job is its
        until the lease runs out (see :meth:`renew` and :meth:`reclaim_expired`).
        """
        lease = {} if owner is None else {
            "lease_owner": owner, "lease_expires_at": now() + (lease_seconds or 30.0),
        }  # fmt: skip
        for _ in range(20):  # bounded: each lost race means another claimer made progress
            if job_id is None:
                head = next_job(*await self._candidates())
                if head is None:
                    return None
                target = head.id
            else:
                target = job_id
            async with self._sessions.begin() as s:
                # UPDATE … RETURNING (SQLite ≥ 3.35, PostgreSQL): the move and the new row in
                # one statement; no row back means another claimer won the race.
                row = (
                    await s.scalars(
                        update(JobRow)
                        .where(JobRow.id == target, JobRow.status == schema.QUEUED)
                        .values(
                            status=schema.RUNNING,
                            stage="starting",
                            started_at=now(),
                            attempts=JobRow.attempts + 1,
                            **lease,
                        )
                        .returning(JobRow)
                        .options(*_NO_FILES)
                        .execution_options(populate_existing=True)
                    )
                ).first()
                if row is not None:
                    return Job.from_row(row)
            if job_id is not None:
                return None
        return None

    async def set_stage(self, job_id: str, stage: str | None = None, **fields: Any) -> None:
        """Record progress (stage, status uploading, work_dir, posted_batches, …) if active.

        ``stage=None`` leaves the stage as it is (e.g. only noting the status message's id).
        """
        values = dict(fields) if stage is None else {"stage": stage, **fields}
        if not values:
            return
        async with self._sessions.begin() as s:
            await s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status.in_(schema.ACTIVE_STATUSES))
                .values(**values)
            )

    async def _finish(self, job_id: str, status: str, **fields: Any) -> Job | None:
        async with self._sessions.begin() as s:
            row = (
                await s.scalars(
                    update(JobRow)
                    .where(JobRow.id == job_id, JobRow.status.in_(schema.ACTIVE_STATUSES))
                    .values(status=status, stage=status, finished_at=now(), **fields)
                    .returning(JobRow)
                    .options(*_NO_FILES)
                    .execution_options(populate_existing=True)
                )
            ).first()  # the first outcome wins: a cancel racing a completion changes nothing
            if row is None:
                row = await s.get(JobRow, job_id, populate_existing=True, options=_NO_FILES)
            return Job.from_row(row) if row else None

    async def complete(self, job_id: str) -> Job | None:
        return await self._finish(job_id, schema.SUCCEEDED)

    async def fail(self, job_id: str, code: str, message: str) -> Job | None:
        return await self._finish(
            job_id, schema.FAILED, error_code=code, error_message=message[:2000]
        )

    async def cancel(self, job_id: str, by: int | None = None) -> Job | None:
        return await self._finish(job_id, schema.CANCELLED, cancelled_by=by)

    async def retry(self, job_id: str) -> Job | None:
        """A failed or cancelled job back to queued (same id, errors cleared)."""
        async with self._sessions.begin() as s:
            await s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status.in_(schema.FINAL_STATUSES))
                .where(JobRow.status != schema.SUCCEEDED)
                .values(
                    status=schema.QUEUED, stage=schema.QUEUED, error_code=None,
                    error_message=None, finished_at=None, cancelled_by=None, posted_batches=0,
                    resumed=False,
                )
            )  # fmt: skip
            row = await s.get(JobRow, job_id, populate_existing=True, options=_NO_FILES)
            return Job.from_row(row) if row else None

    async def get(self, job_id: str) -> Job | None:
        async with self._sessions() as s:
            row = await s.get(JobRow, job_id, options=_NO_FILES)
            return Job.from_row(row) if row else None

    async def list(
        self, *, status: str | None = None, user_id: int | None = None, limit: int = 50
    ) -> list[Job]:
        """Newest first. ``status="active"`` means queued, running or uploading."""
        query = select(JobRow).order_by(JobRow.created_at.desc()).limit(limit)
        if status == "active":
            query = query.where(JobRow.status.in_(schema.ACTIVE_STATUSES))
        elif status:
            query = query.where(JobRow.status == status)
        if user_id is not None:
            query = query.where(JobRow.user_id == user_id)
        async with self._sessions() as s:
            return [Job.from_row(r) for r in (await s.scalars(query)).all()]

    async def position(self, job_id: str) -> int | None:
        """1-based place in the fair order among queued jobs (None when not queued)."""
        for i, c in enumerate(await self._order(), start=1):
            if c.id == job_id:
                return i
        return None

    async def positions(self) -> dict[str, int]:
        """Every queued job's 1-based place in the fair order (one query for a whole queue)."""
        return {c.id: i for i, c in enumerate(await self._order(), start=1)}

    async def statuses(self, job_ids: Sequence[str]) -> dict[str, str]:
        """The current status of each known job among ``job_ids`` (the bot polls this to see
        cancels made elsewhere, e.g. by ``bossctl queue cancel``)."""
        if not job_ids:
            return {}
        async with self._sessions() as s:
            rows = (
                await s.execute(
                    select(JobRow.id, JobRow.status).where(JobRow.id.in_(list(job_ids)))
                )
            ).all()
        return dict(rows)  # type: ignore[arg-type]

    async def set_priority(self, job_id: str, priority: int) -> Job | None:
        """Change a queued job's priority (admins raise it); other jobs are left alone."""
        async with self._sessions.begin() as s:
            await s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == schema.QUEUED)
                .values(priority=priority)
            )
            row = await s.get(JobRow, job_id, populate_existing=True, options=_NO_FILES)
            return Job.from_row(row) if row else None

    async def renew(self, owner: str, job_ids: Sequence[str], lease_seconds: float) -> set[str]:
        """Extend ``owner``'s leases on ``job_ids``; returns the ids it still holds (a job
        missing from the answer was finished elsewhere or taken over after a lapse)."""
        if not job_ids:
            return set()
        async with self._sessions.begin() as s:
            held = (
                await s.scalars(
                    update(JobRow)
                    .where(
                        JobRow.id.in_(list(job_ids)),
                        JobRow.lease_owner == owner,
                        JobRow.status.in_((schema.RUNNING, schema.UPLOADING)),
                    )
                    .values(lease_expires_at=now() + lease_seconds)
                    .returning(JobRow.id)
                )
            ).all()
        return set(held)

    async def reclaim_expired(self) -> list[Job]:
        """Running jobs whose lease ran out (their worker died) go back to the queue, marked
        ``resumed``; returned so the caller can make sure a worker picks each one up."""
        return await self._requeue(JobRow.lease_expires_at < now())

    async def release(self, owner: str) -> list[Job]:
        """A worker shutting down hands its running jobs back to the queue at once."""
        return await self._requeue(JobRow.lease_owner == owner)

    async def _requeue(self, condition: Any) -> list[Job]:
        async with self._sessions.begin() as s:
            rows = (
                await s.scalars(
                    update(JobRow)
                    .where(JobRow.status.in_((schema.RUNNING, schema.UPLOADING)))
                    .where(JobRow.lease_owner.is_not(None), condition)
                    .values(
                        status=schema.QUEUED, stage=schema.QUEUED, resumed=True,
                        lease_owner=None, lease_expires_at=None,
                    )
                    .returning(JobRow)
                    .options(*_NO_FILES)
                    .execution_options(populate_existing=True)
                )
            ).all()  # fmt: skip
            return [Job.from_row(r) for r in rows]

    async def recover(self) -> list[Job]:
        """After a restart: jobs that were running go back to the queue, marked ``resumed``.

        Returns them so the caller can remove their partial files and tell their users.
        """
        async with self._sessions.begin() as s:
            rows = (
                await s.scalars(
                    select(JobRow).where(JobRow.status.in_((schema.RUNNING, schema.UPLOADING)))
                )
            ).all()
            for row in rows:
                row.status = schema.QUEUED
                row.stage = schema.QUEUED
                row.resumed = True
            await s.flush()
            return [Job.from_row(r) for r in rows]

    async def counts(self) -> dict[str, int]:
        async with self._sessions() as s:
            rows = (
                await s.execute(select(JobRow.status, func.count()).group_by(JobRow.status))
            ).all()
        return dict(rows)


__all__: Sequence[str] = ["Job", "JobQueue", "JobSpec", "SqlJobQueue", "new_job_id"]
