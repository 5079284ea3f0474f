"""The persisted job queue: every request is a row before any work starts.

The interface (:class:`JobQueue`: enqueue, claim, set_stage, complete, fail, cancel, retry,
get, list, position, recover) is all the rest of boss-bot sees. Distributed mode
(:mod:`boss_bot.core.distributed`) keeps this queue, on PostgreSQL, as the source of truth for
order, fairness and quotas, and adds leases (:meth:`SqlJobQueue.renew`,
:meth:`SqlJobQueue.reclaim_expired`) so a job whose worker died is run again elsewhere.

Claims are optimistic: the scheduler picks the next job in Python (:mod:`.fairness`, over at most
MAX_QUEUE_SIZE rows) and moves it with ``UPDATE … WHERE id = ? AND status = 'queued'``; a lost
race simply picks again. That is correct on SQLite and PostgreSQL alike, with short transactions.

Every method is one transaction: a function of SQLAlchemy Core statements built once at import,
run by :func:`~boss_bot.core.store.engine.transactions` (whole, on a thread of the store, on
SQLite; through the async engine on PostgreSQL). See docs/persistence.md, Performance.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import async_sessionmaker

from boss_bot.core.errors import QueueFullError
from boss_bot.core.jobs import (
    CANCELLED,
    FAILED,
    PREPARING,
    QUEUED,
    SUCCEEDED,
    Job,
    JobQueue,
    JobRequest,
)
from boss_bot.core.store import queue_sql as sql
from boss_bot.core.store.engine import transactions
from boss_bot.core.store.fairness import Candidate, fair_order
from boss_bot.core.store.job_rows import request_columns
from boss_bot.core.store.schema import now


def new_job_id() -> str:
    """Short enough to type after ``$cancel``, random enough not to guess (48 bits)."""
    return secrets.token_hex(6)


class SqlJobQueue:
    """:class:`JobQueue` on the SQL store.

    Every method is one transaction function (Core statements on a ``Connection``) handed to
    :func:`~boss_bot.core.store.engine.transactions`: on SQLite it runs whole on the store's
    write or read thread, on PostgreSQL through the async engine.
    """

    def __init__(
        self, sessions: async_sessionmaker, *, max_queue_size: int, max_per_user: int
    ) -> None:
        self._sessions = sessions
        self._db = transactions(sessions.kw["bind"])
        self.max_queue_size = max_queue_size
        self.max_per_user = max_per_user

    async def enqueue(self, request: JobRequest, *, preparing: bool = False) -> Job:
        """Persist a queued job, or raise :class:`QueueFullError` (overall or per user).

        ``preparing``: the job keeps its place in the queue, but no claim takes it until
        :meth:`mark_ready` (see :data:`~boss_bot.core.jobs.PREPARING`)."""
        max_total, max_mine = self.max_queue_size, self.max_per_user
        columns = request_columns(request)

        def work(conn: Connection) -> Job:
            total, mine = conn.execute(sql.COUNTS_FOR, {"user": request.user_id}).one()
            if total >= max_total:
                raise QueueFullError(
                    f"queue full ({total})",
                    user_message="The queue is full right now; try again in a few minutes.",
                )
            if mine >= max_mine:
                raise QueueFullError(
                    f"user {request.user_id} has {mine} jobs",
                    user_message=f"You already have {mine} downloads waiting or running; "
                    "wait for one to finish.",
                )
            values: dict[str, Any] = {
                "id": new_job_id(),
                **columns,
                "status": QUEUED,
                "stage": PREPARING if preparing else QUEUED,
                "attempts": 0,
                "resumed": False,
                "posted_batches": 0,
                "created_at": now(),
            }
            conn.execute(sql.INSERT, values)
            return Job(**{name: values.get(name) for name in Job.__dataclass_fields__})

        return await self._db.write(work)

    async def _order(self) -> list[Candidate]:
        return fair_order(*await self._db.read(sql.candidates))

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
        statement = sql.CLAIM if owner is None else sql.CLAIM_LEASED

        def take(conn: Connection, target: str | None) -> tuple[str | None, Job | None]:
            if target is None:  # nothing queued
                return None, None
            started = now()
            params = {"target": target, "p_started_at": started}
            if owner is not None:
                params["p_lease_owner"] = owner
                params["p_lease_expires_at"] = started + (lease_seconds or 30.0)
            return target, sql.one(conn, statement, params)

        if job_id is not None:
            return (await self._db.write(lambda conn: take(conn, job_id)))[1]
        for _ in range(20):  # bounded: each lost race means another claimer made progress
            # The fair pick (a read, no write lock held), then the optimistic move: no row
            # back means another claimer took that job first, so pick again.
            target, job = await self._db.read_then_write(sql.pick, take)
            if target is None or job is not None:
                return job
        return None

    async def mark_ready(self, job_id: str) -> None:
        """A ``preparing`` job may now be claimed (no change to any other job)."""
        await self._db.write(lambda conn: conn.execute(sql.READY_ONE, {"target": job_id}).close())

    async def mark_stale_ready(self, grace_seconds: float) -> int:
        """Open to claims every job ``preparing`` for over ``grace_seconds``: its host died
        before it was ready. Returns how many."""
        before = now() - grace_seconds
        return await self._db.write(
            lambda conn: conn.execute(sql.READY_STALE, {"before": before}).rowcount
        )

    async def set_stage(self, job_id: str, stage: str | None = None, **fields: Any) -> None:
        """Record progress (stage, status uploading, work_dir, posted_batches, …) if active.

        ``stage=None`` leaves the stage as it is (e.g. only noting the status message's id).
        """
        values = dict(fields) if stage is None else {"stage": stage, **fields}
        if not values:
            return
        if "stage" in values or "status" in values:
            values["stage_at"] = now()  # the stall watchdog's clock
        statement = sql.set_stage_statement(tuple(values))
        params = {"target": job_id, **sql.params(values)}
        await self._db.write(lambda conn: conn.execute(statement, params).close())

    async def _finish(self, job_id: str, status: str, **fields: Any) -> Job | None:
        statement = sql.finish_statement(tuple(fields))

        def work(conn: Connection) -> Job | None:
            params = {"target": job_id, "p_status": status, "p_finished_at": now()}
            # The first outcome wins: a cancel racing a completion changes nothing.
            job = sql.one(conn, statement, {**params, **sql.params(fields)})
            return job if job is not None else sql.one(conn, sql.GET, {"target": job_id})

        return await self._db.write(work)

    async def complete(self, job_id: str) -> Job | None:
        return await self._finish(job_id, SUCCEEDED)

    async def fail(self, job_id: str, code: str, message: str) -> Job | None:
        return await self._finish(job_id, FAILED, error_code=code, error_message=message[:2000])

    async def cancel(self, job_id: str, by: int | None = None) -> Job | None:
        return await self._finish(job_id, CANCELLED, cancelled_by=by)

    async def retry(self, job_id: str) -> Job | None:
        """A failed or cancelled job back to queued (same id, errors cleared)."""

        def work(conn: Connection) -> Job | None:
            conn.execute(sql.RETRY, {"target": job_id})
            return sql.one(conn, sql.GET, {"target": job_id})

        return await self._db.write(work)

    async def get(self, job_id: str) -> Job | None:
        return await self._db.read(lambda conn: sql.one(conn, sql.GET, {"target": job_id}))

    async def list(
        self, *, status: str | None = None, user_id: int | None = None, limit: int = 50
    ) -> list[Job]:
        """Newest first. ``status="active"`` means queued, running or uploading."""
        statement = sql.list_statement(status or None, user_id is not None)
        params = {"limit": limit, "status": status, "user": user_id}
        return await self._db.read(
            lambda conn: [Job(*row) for row in conn.execute(statement, params)]
        )

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
        ids = list(job_ids)
        return await self._db.read(
            lambda conn: dict(conn.execute(sql.STATUSES, {"ids": ids}).all())
        )

    async def set_priority(self, job_id: str, priority: int) -> Job | None:
        """Change a queued job's priority (admins raise it); other jobs are left alone."""

        def work(conn: Connection) -> Job | None:
            conn.execute(sql.SET_PRIORITY, {"target": job_id, "p_priority": priority})
            return sql.one(conn, sql.GET, {"target": job_id})

        return await self._db.write(work)

    async def renew(self, owner: str, job_ids: Sequence[str], lease_seconds: float) -> set[str]:
        """Extend ``owner``'s leases on ``job_ids``; returns the ids it still holds (a job
        missing from the answer was finished elsewhere or taken over after a lapse)."""
        if not job_ids:
            return set()
        ids = list(job_ids)

        def work(conn: Connection) -> set[str]:
            params = {"ids": ids, "owner": owner, "p_lease_expires_at": now() + lease_seconds}
            return set(conn.execute(sql.RENEW, params).scalars().all())

        return await self._db.write(work)

    async def reclaim_expired(self) -> list[Job]:
        """Running jobs whose lease ran out (their worker died) go back to the queue, marked
        ``resumed``; returned so the caller can make sure a worker picks each one up."""
        return await self._db.write(
            lambda conn: [Job(*row) for row in conn.execute(sql.RECLAIM, {"now": now()})]
        )

    async def release(self, owner: str) -> list[Job]:
        """A worker shutting down hands its running jobs back to the queue at once."""
        return await self._db.write(
            lambda conn: [Job(*row) for row in conn.execute(sql.RELEASE, {"owner": owner})]
        )

    async def recover(self) -> list[Job]:
        """After a restart: jobs that were running go back to the queue, marked ``resumed``.

        Returns them so the caller can remove their partial files and tell their users.
        """
        return await self._db.write(lambda conn: [Job(*row) for row in conn.execute(sql.RECOVER)])

    async def counts(self) -> dict[str, int]:
        return await self._db.read(lambda conn: dict(conn.execute(sql.STATUS_COUNTS).all()))


__all__: Sequence[str] = ["Job", "JobQueue", "SqlJobQueue", "new_job_id"]
