"""Cursor pagination over the jobs table: newest first, stable, each job exactly once.

The order is ``(created_at DESC, id DESC)``: a total order (ids are unique), so ties on the
timestamp cannot skip or repeat a job. The cursor is the (created_at, id) of the last job of a
page, base64url-encoded JSON: opaque to clients, who only pass it back. A page is the jobs
strictly after the cursor in that order, so jobs created while a client walks the list appear
before its cursor and never shift what it still has to read (unlike OFFSET). The float
``created_at`` survives the JSON round trip exactly (``repr`` of a float is exact).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import raiseload

from boss_bot.core.jobs import ACTIVE_STATUSES
from boss_bot.core.store import Job, Store
from boss_bot.core.store.engine import sessions
from boss_bot.core.store.job_rows import job_from_row
from boss_bot.core.store.schema import JobRow
from boss_bot.http.errors import ApiError


def encode_cursor(job: Job) -> str:
    raw = json.dumps([job.created_at, job.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, job_id = json.loads(raw)
        if (
            isinstance(created, int | float)
            and not isinstance(created, bool)
            and math.isfinite(created)
            and isinstance(job_id, str)
            and len(job_id) <= 64
        ):
            return float(created), job_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        pass
    raise ApiError(400, "invalid_cursor", "The cursor is not one this API returned.")


async def page_of_jobs(
    store: Store,
    *,
    status: str | None,
    platform: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Job], str | None]:
    """One page and the cursor of the next one (None on the last page)."""
    where: list[ColumnElement[bool]] = []
    if status == "active":
        where.append(JobRow.status.in_(ACTIVE_STATUSES))
    elif status:
        where.append(JobRow.status == status)
    if platform:
        where.append(JobRow.platform == platform)
    return await page_where(store, where, limit=limit, cursor=cursor)


async def page_where(
    store: Store, where: Sequence[ColumnElement[bool]], *, limit: int, cursor: str | None
) -> tuple[list[Job], str | None]:
    """The jobs matching every condition of ``where``: one page in the order above, strictly
    after ``cursor``, and the cursor of the next page (None on the last). The API's list and
    the dashboard's history both page through here."""
    query = (
        select(JobRow)
        .options(raiseload(JobRow.files))
        .where(*where)
        .order_by(JobRow.created_at.desc(), JobRow.id.desc())
        .limit(limit + 1)
    )
    if cursor:
        created, job_id = decode_cursor(cursor)
        query = query.where(
            or_(
                JobRow.created_at < created,
                and_(JobRow.created_at == created, JobRow.id < job_id),
            )
        )
    async with sessions(store.engine)() as s:
        rows = (await s.scalars(query)).all()
    jobs = [job_from_row(r) for r in rows[:limit]]
    more = len(rows) > limit
    return jobs, encode_cursor(jobs[-1]) if more and jobs else None
