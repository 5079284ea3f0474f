"""The job queue's SQL: SQLAlchemy Core statements built once at import, and the fair pick.

Building a statement costs more than running it (≈0.4 ms against ≈0.15 ms for a whole SQLite
transaction), and a built one is compiled once per dialect (SQLAlchemy's statement cache).
Parameter names never equal column names. :mod:`.queue` runs these in its transactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

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

from boss_bot.core.jobs import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    PREPARING,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    UPLOADING,
    Job,
)
from boss_bot.core.store.fairness import Candidate, next_job
from boss_bot.core.store.schema import JobRow

_T = JobRow.__table__
#: A snapshot's columns, in :class:`Job`'s field order: ``Job(*row)``.
_JOB = tuple(_T.c[name] for name in Job.__dataclass_fields__)
_TARGET = bindparam("target")


def _status_in(statuses: Sequence[str]) -> Any:
    """``status IN ('queued', …)`` with the constants in the SQL: a plain ``in_()`` takes an
    "expanding" parameter, which SQLAlchemy rewrites into the SQL on every execution (≈60 µs)."""
    return _T.c.status.in_([literal_column(f"'{status}'") for status in statuses])


_ACTIVE = _status_in(ACTIVE_STATUSES)
_LIVE = _status_in((RUNNING, UPLOADING))

GET = select(*_JOB).where(_T.c.id == _TARGET)

COUNTS_FOR = select(func.count(), func.count().filter(_T.c.user_id == bindparam("user"))).where(
    _ACTIVE
)
INSERT = insert(_T)

#: The fair pick's data in one query: every queued job (with its stage: a job still
#: ``preparing`` has a place in the queue but is not claimed yet), then one row per waiting user
#: with when that user was last served (``id`` NULL). A union rather than a join so that each part
#: keeps its plan on SQLite and PostgreSQL alike: the queued jobs through the status index
#: (read once: the CTE is used twice, so both materialise it), the last start once per waiting
#: user (a correlated ``max`` through the user index), never once per job.
_queued = (
    select(_T.c.id, _T.c.user_id, _T.c.priority, _T.c.created_at, _T.c.stage)
    .where(_T.c.status == QUEUED)
    .cte("queued")
)
_waiting = select(_queued.c.user_id).distinct().subquery("waiting")
_started = _T.alias("started")
CANDIDATES = union_all(
    select(_queued, cast(null(), Float)),
    select(
        cast(null(), String), _waiting.c.user_id, cast(null(), Integer), cast(null(), Float),
        cast(null(), String),
        select(func.max(_started.c.started_at))
        .where(_started.c.user_id == _waiting.c.user_id)
        .scalar_subquery(),
    ),
)  # fmt: skip

_CLAIM_VALUES = {
    "status": RUNNING,
    "stage": "starting",
    "started_at": bindparam("p_started_at"),
    "stage_at": bindparam("p_started_at"),
    "attempts": _T.c.attempts + 1,
}
# UPDATE … RETURNING (SQLite ≥ 3.35, PostgreSQL): the move and the new row in one statement;
# no row back means another claimer won the race.
CLAIM = (
    update(_T)
    .where(_T.c.id == _TARGET, _T.c.status == QUEUED)
    .values(_CLAIM_VALUES)
    .returning(*_JOB)
)
CLAIM_LEASED = CLAIM.values(
    lease_owner=bindparam("p_lease_owner"), lease_expires_at=bindparam("p_lease_expires_at")
)

RETRY = (
    update(_T)
    .where(_T.c.id == _TARGET, _status_in(FINAL_STATUSES))
    .where(_T.c.status != SUCCEEDED)
    .values(
        status=QUEUED, stage=QUEUED, error_code=None, error_message=None,
        finished_at=None, cancelled_by=None, posted_batches=0, resumed=False,
    )
)  # fmt: skip
SET_PRIORITY = (
    update(_T)
    .where(_T.c.id == _TARGET, _T.c.status == QUEUED)
    .values(priority=bindparam("p_priority"))
)
RENEW = (
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
        status=QUEUED, stage=QUEUED, resumed=True,
        lease_owner=None, lease_expires_at=None,
    )
    .returning(*_JOB)
)  # fmt: skip
#: A preparing job handed to the workers: by its host once ready, or by anyone after the grace.
_READY = update(_T).where(_T.c.status == QUEUED, _T.c.stage == PREPARING).values(stage=QUEUED)
READY_ONE = _READY.where(_T.c.id == _TARGET)
READY_STALE = _READY.where(_T.c.created_at < bindparam("before"))
RECLAIM = _REQUEUE.where(_T.c.lease_expires_at < bindparam("now"))
RELEASE = _REQUEUE.where(_T.c.lease_owner == bindparam("owner"))
RECOVER = update(_T).where(_LIVE).values(status=QUEUED, stage=QUEUED, resumed=True).returning(*_JOB)
STATUSES = select(_T.c.id, _T.c.status).where(_T.c.id.in_(bindparam("ids", expanding=True)))
STATUS_COUNTS = select(_T.c.status, func.count()).group_by(_T.c.status)


@lru_cache(maxsize=64)
def set_stage_statement(names: tuple[str, ...]) -> Any:
    return (
        update(_T)
        .where(_T.c.id == _TARGET, _ACTIVE)
        .values({name: bindparam(f"p_{name}") for name in names})
    )


@lru_cache(maxsize=16)
def finish_statement(names: tuple[str, ...]) -> Any:
    """queued/running/uploading → a final status, with ``names`` set too; the row back."""
    return (
        update(_T)
        .where(_T.c.id == _TARGET, _ACTIVE)
        .values(
            {
                "status": bindparam("p_status"),
                "stage": bindparam("p_status"),
                "finished_at": bindparam("p_finished_at"),
                "stage_at": bindparam("p_finished_at"),
                **{name: bindparam(f"p_{name}") for name in names},
            }
        )
        .returning(*_JOB)
    )


@lru_cache(maxsize=8)
def list_statement(status: str | None, by_user: bool) -> Any:
    query = select(*_JOB).order_by(_T.c.created_at.desc()).limit(bindparam("limit"))
    if status == "active":
        query = query.where(_ACTIVE)
    elif status:
        query = query.where(_T.c.status == bindparam("status"))
    if by_user:
        query = query.where(_T.c.user_id == bindparam("user"))
    return query


def params(values: dict[str, Any]) -> dict[str, Any]:
    return {f"p_{name}": value for name, value in values.items()}


def one(conn: Connection, statement: Any, params: dict[str, Any]) -> Job | None:
    row = conn.execute(statement, params).first()
    return Job(*row) if row is not None else None


def candidates(
    conn: Connection, *, preparing: bool = True
) -> tuple[list[Candidate], dict[int, float]]:
    """The queued jobs and, for their users, when each was last served (one query).
    ``preparing=False`` leaves out the jobs whose host is not ready for them yet."""
    queued: list[Candidate] = []
    served: dict[int, float] = {}
    for job_id, user_id, priority, created_at, stage, last in conn.execute(CANDIDATES).all():
        if job_id is not None:
            if preparing or stage != PREPARING:
                queued.append(Candidate(job_id, user_id, priority, created_at))
        elif last is not None:
            served[user_id] = last
    return queued, served


def pick(conn: Connection) -> str | None:
    head = next_job(*candidates(conn, preparing=False))
    return None if head is None else head.id
