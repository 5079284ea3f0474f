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
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import (
    Connection,
    Float,
    Integer,
    String,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import async_sessionmaker

from boss_bot.core.errors import QueueFullError
from boss_bot.core.store import schema
from boss_bot.core.store.engine import transactions
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


# --- statements --------------------------------------------------------------------------------
# Core statements built once, with bound parameters: building a statement costs more than running
# it (≈0.4 ms against ≈0.15 ms for a whole SQLite transaction), and a built one is compiled once
# per dialect (SQLAlchemy's statement cache). Parameter names never equal column names.

_T = JobRow.__table__
#: A snapshot's columns, in :class:`Job`'s field order: ``Job(*row)``.
_JOB = tuple(_T.c[name] for name in Job.__dataclass_fields__)
_TARGET = bindparam("target")


def _status_in(statuses: Sequence[str]) -> Any:
    """``status IN ('queued', …)`` with the constants in the SQL: a plain ``in_()`` takes an
    "expanding" parameter, which SQLAlchemy rewrites into the SQL on every execution (≈60 µs)."""
    return _T.c.status.in_([literal_column(f"'{status}'") for status in statuses])


_ACTIVE = _status_in(schema.ACTIVE_STATUSES)
_LIVE = _status_in((schema.RUNNING, schema.UPLOADING))

_GET = select(*_JOB).where(_T.c.id == _TARGET)

_COUNTS_FOR = select(func.count(), func.count().filter(_T.c.user_id == bindparam("user"))).where(
    _ACTIVE
)
_INSERT = insert(_T)

#: The fair pick's data in one query: every queued job, then one row per waiting user with
#: when that user was last served (``id`` NULL). A union rather than a join so that each part
#: keeps its plan on SQLite and PostgreSQL alike: the queued jobs through the status index
#: (read once: the CTE is used twice, so both materialise it), the last start once per waiting
#: user (a correlated ``max`` through the user index), never once per job.
_queued = (
    select(_T.c.id, _T.c.user_id, _T.c.priority, _T.c.created_at)
    .where(_T.c.status == schema.QUEUED)
    .cte("queued")
)
_waiting = select(_queued.c.user_id).distinct().subquery("waiting")
_started = _T.alias("started")
_CANDIDATES = union_all(
    select(_queued, cast(null(), Float)),
    select(
        cast(null(), String), _waiting.c.user_id, cast(null(), Integer), cast(null(), Float),
        select(func.max(_started.c.started_at))
        .where(_started.c.user_id == _waiting.c.user_id)
        .scalar_subquery(),
    ),
)  # fmt: skip

_CLAIM_VALUES = {
    "status": schema.RUNNING,
    "stage": "starting",
    "started_at": bindparam("p_started_at"),
    "attempts": _T.c.attempts + 1,
}
# UPDATE … RETURNING (SQLite ≥ 3.35, PostgreSQL): the move and the new row in one statement;
# no row back means another claimer won the race.
_CLAIM = (
    update(_T)
    .where(_T.c.id == _TARGET, _T.c.status == schema.QUEUED)
    .values(_CLAIM_VALUES)
    .returning(*_JOB)
)
_CLAIM_LEASED = _CLAIM.values(
    lease_owner=bindparam("p_lease_owner"), lease_expires_at=bindparam("p_lease_expires_at")
)

_RETRY = (
    update(_T)
    .where(_T.c.id == _TARGET, _status_in(schema.FINAL_STATUSES))
    .where(_T.c.status != schema.SUCCEEDED)
    .values(
        status=schema.QUEUED, stage=schema.QUEUED, error_code=None, error_message=None,
        finished_at=None, cancelled_by=None, posted_batches=0, resumed=False,
    )
)  # fmt: skip
_SET_PRIORITY = (
    update(_T)
    .where(_T.c.id == _TARGET, _T.c.status == schema.QUEUED)
    .values(priority=bindparam("p_priority"))
)
_RENEW = (
    update(_T)
    .where(
        _T.c.id.in_(bindparam("ids", expanding=True)),
        _T.c.lease_owner == bindparam("owner"),
        _LIVE,
    )
    .values(lease_expires_at=bindparam("p_lease_expires_at"))
    .returning(_T.c.id)
)
_REQUEUE = (
    update(_T)
    .where(_LIVE, _T.c.lease_owner.is_not(None))
    .values(
        status=schema.QUEUED, stage=schema.QUEUED, resumed=True,
        lease_owner=None, lease_expires_at=None,
    )
    .returning(*_JOB)
)  # fmt: skip
_RECLAIM = _REQUEUE.where(_T.c.lease_expires_at < bindparam("now"))
_RELEASE = _REQUEUE.where(_T.c.lease_owner == bindparam("owner"))
_RECOVER = (
    update(_T)
    .where(_LIVE)
    .values(status=schema.QUEUED, stage=schema.QUEUED, resumed=True)
    .returning(*_JOB)
)
_STATUSES = select(_T.c.id, _T.c.status).where(_T.c.id.in_(bindparam("ids", expanding=True)))
_STATUS_COUNTS = select(_T.c.status, func.count()).group_by(_T.c.status)


@lru_cache(maxsize=64)
def _set_stage_statement(names: tuple[str, ...]) -> Any:
    return (
        update(_T)
        .where(_T.c.id == _TARGET, _ACTIVE)
        .values({name: bindparam(f"p_{name}") for name in names})
    )


@lru_cache(maxsize=16)
def _finish_statement(names: tuple[str, ...]) -> Any:
    """queued/running/uploading → a final status, with ``names`` set too; the row back."""
    return (
        update(_T)
        .where(_T.c.id == _TARGET, _ACTIVE)
        .values(
            {
                "status": bindparam("p_status"),
                "stage": bindparam("p_status"),
                "finished_at": bindparam("p_finished_at"),
                **{name: bindparam(f"p_{name}") for name in names},
            }
        )
        .returning(*_JOB)
    )


@lru_cache(maxsize=8)
def _list_statement(status: str | None, by_user: bool) -> Any:
    query = select(*_JOB).order_by(_T.c.created_at.desc()).limit(bindparam("limit"))
    if status == "active":
        query = query.where(_ACTIVE)
    elif status:
        query = query.where(_T.c.status == bindparam("status"))
    if by_user:
        query = query.where(_T.c.user_id == bindparam("user"))
    return query


def _params(values: dict[str, Any]) -> dict[str, Any]:
    return {f"p_{name}": value for name, value in values.items()}


def _one(conn: Connection, statement: Any, params: dict[str, Any]) -> Job | None:
    row = conn.execute(statement, params).first()
    return Job(*row) if row is not None else None


def _candidates(conn: Connection) -> tuple[list[Candidate], dict[int, float]]:
    """The queued jobs and, for their users, when each was last served (one query)."""
    queued: list[Candidate] = []
    served: dict[int, float] = {}
    for job_id, user_id, priority, created_at, last in conn.execute(_CANDIDATES).all():
        if job_id is not None:
            queued.append(Candidate(job_id, user_id, priority, created_at))
        elif last is not None:
            served[user_id] = last
    return queued, served


def _pick(conn: Connection) -> str | None:
    head = next_job(*_candidates(conn))
    return None if head is None else head.id


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

    async def enqueue(self, spec: JobSpec) -> Job:
        """Persist a queued job, or raise :class:`QueueFullError` (overall or per user)."""
        max_total, max_mine = self.max_queue_size, self.max_per_user

        def work(conn: Connection) -> Job:
            total, mine = conn.execute(_COUNTS_FOR, {"user": spec.user_id}).one()
            if total >= max_total:
                raise QueueFullError(
                    f"queue full ({total})",
                    user_message="The queue is full right now; try again in a few minutes.",
                )
            if mine >= max_mine:
                raise QueueFullError(
                    f"user {spec.user_id} has {mine} jobs",
                    user_message=f"You already have {mine} downloads waiting or running; "
                    "wait for one to finish.",
                )
            values: dict[str, Any] = {
                "id": new_job_id(),
                "url": spec.url,
                "user_id": spec.user_id,
                "kind": spec.kind,
                "guild_id": spec.guild_id,
                "channel_id": spec.channel_id,
                "message_id": spec.message_id,
                "platform": spec.platform,
                "media_key": spec.media_key,
                "options": dict(spec.options),
                "priority": spec.priority,
                "status": schema.QUEUED,
                "stage": schema.QUEUED,
                "attempts": 0,
                "resumed": False,
                "posted_batches": 0,
                "created_at": now(),
            }
            conn.execute(_INSERT, values)
            return Job(**{name: values.get(name) for name in Job.__dataclass_fields__})

        return await self._db.write(work)

    async def _order(self) -> list[Candidate]:
        return fair_order(*await self._db.read(_candidates))

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
        statement = _CLAIM if owner is None else _CLAIM_LEASED

        def take(conn: Connection, target: str | None) -> tuple[str | None, Job | None]:
            if target is None:  # nothing queued
                return None, None
            started = now()
            params = {"target": target, "p_started_at": started}
            if owner is not None:
                params["p_lease_owner"] = owner
                params["p_lease_expires_at"] = started + (lease_seconds or 30.0)
            return target, _one(conn, statement, params)

        if job_id is not None:
            return (await self._db.write(lambda conn: take(conn, job_id)))[1]
        for _ in range(20):  # bounded: each lost race means another claimer made progress
            # The fair pick (a read, no write lock held), then the optimistic move: no row
            # back means another claimer took that job first, so pick again.
            target, job = await self._db.read_then_write(_pick, take)
            if target is None or job is not None:
                return job
        return None

    async def set_stage(self, job_id: str, stage: str | None = None, **fields: Any) -> None:
        """Record progress (stage, status uploading, work_dir, posted_batches, …) if active.

        ``stage=None`` leaves the stage as it is (e.g. only noting the status message's id).
        """
        values = dict(fields) if stage is None else {"stage": stage, **fields}
        if not values:
            return
        statement = _set_stage_statement(tuple(values))
        params = {"target": job_id, **_params(values)}
        await self._db.write(lambda conn: conn.execute(statement, params).close())

    async def _finish(self, job_id: str, status: str, **fields: Any) -> Job | None:
        statement = _finish_statement(tuple(fields))

        def work(conn: Connection) -> Job | None:
            params = {"target": job_id, "p_status": status, "p_finished_at": now()}
            # The first outcome wins: a cancel racing a completion changes nothing.
            job = _one(conn, statement, {**params, **_params(fields)})
            return job if job is not None else _one(conn, _GET, {"target": job_id})

        return await self._db.write(work)

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

        def work(conn: Connection) -> Job | None:
            conn.execute(_RETRY, {"target": job_id})
            return _one(conn, _GET, {"target": job_id})

        return await self._db.write(work)

    async def get(self, job_id: str) -> Job | None:
        return await self._db.read(lambda conn: _one(conn, _GET, {"target": job_id}))

    async def list(
        self, *, status: str | None = None, user_id: int | None = None, limit: int = 50
    ) -> list[Job]:
        """Newest first. ``status="active"`` means queued, running or uploading."""
        statement = _list_statement(status or None, user_id is not None)
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
        return await self._db.read(lambda conn: dict(conn.execute(_STATUSES, {"ids": ids}).all()))

    async def set_priority(self, job_id: str, priority: int) -> Job | None:
        """Change a queued job's priority (admins raise it); other jobs are left alone."""

        def work(conn: Connection) -> Job | None:
            conn.execute(_SET_PRIORITY, {"target": job_id, "p_priority": priority})
            return _one(conn, _GET, {"target": job_id})

        return await self._db.write(work)

    async def renew(self, owner: str, job_ids: Sequence[str], lease_seconds: float) -> set[str]:
        """Extend ``owner``'s leases on ``job_ids``; returns the ids it still holds (a job
        missing from the answer was finished elsewhere or taken over after a lapse)."""
        if not job_ids:
            return set()
        ids = list(job_ids)

        def work(conn: Connection) -> set[str]:
            params = {"ids": ids, "owner": owner, "p_lease_expires_at": now() + lease_seconds}
            return set(conn.execute(_RENEW, params).scalars().all())

        return await self._db.write(work)

    async def reclaim_expired(self) -> list[Job]:
        """Running jobs whose lease ran out (their worker died) go back to the queue, marked
        ``resumed``; returned so the caller can make sure a worker picks each one up."""
        return await self._db.write(
            lambda conn: [Job(*row) for row in conn.execute(_RECLAIM, {"now": now()})]
        )

    async def release(self, owner: str) -> list[Job]:
        """A worker shutting down hands its running jobs back to the queue at once."""
        return await self._db.write(
            lambda conn: [Job(*row) for row in conn.execute(_RELEASE, {"owner": owner})]
        )

    async def recover(self) -> list[Job]:
        """After a restart: jobs that were running go back to the queue, marked ``resumed``.

        Returns them so the caller can remove their partial files and tell their users.
        """
        return await self._db.write(lambda conn: [Job(*row) for row in conn.execute(_RECOVER)])

    async def counts(self) -> dict[str, int]:
        return await self._db.read(lambda conn: dict(conn.execute(_STATUS_COUNTS).all()))


__all__: Sequence[str] = ["Job", "JobQueue", "JobSpec", "SqlJobQueue", "new_job_id"]
