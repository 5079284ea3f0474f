"""The store reads the dashboard needs beyond the queue's interface (read-only SQL).

Like :mod:`boss_bot.http.pagination`, these read the store's tables directly: the pages need
filters (guild, text), groupings (per day, per platform) and joins the queue's interface has no
reason to offer. Nothing here writes; every change goes through the queue or the pipeline.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import raiseload

from boss_bot.core.jobs import ACTIVE_STATUSES, FINAL_STATUSES, Job
from boss_bot.core.store import Store
from boss_bot.core.store.engine import sessions
from boss_bot.core.store.job_rows import job_from_row
from boss_bot.core.store.schema import FileRow, GuildSettingsRow, JobRow, MetricRow
from boss_bot.http.pagination import page_where

#: Finished jobs stay on the live page this long (then they are in History only).
RECENT_SECONDS = 600.0
#: Rows the live page shows at most (the rest: "n more", and History lists them all).
LIVE_LIMIT = 100


def start_of_today(now: float | None = None) -> float:
    """Midnight UTC of today (the dashboard's "today", like ``$stats``' days)."""
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


async def _jobs(store: Store, query: Any) -> list[Job]:
    async with sessions(store.engine)() as s:
        rows = (await s.scalars(query.options(raiseload(JobRow.files)))).all()
    return [job_from_row(r) for r in rows]


@dataclass(frozen=True)
class LiveJobs:
    """The live page's jobs in its order, their queue positions, and how many did not fit."""

    jobs: list[Job]
    positions: dict[str, int]
    more: int


async def live_jobs(store: Store, *, limit: int = LIVE_LIMIT) -> LiveJobs:
    """Active jobs and those finished in the last RECENT_SECONDS, in the live page's order:
    running, then queued in the order they will run, then the finished, newest first."""
    since = time.time() - RECENT_SECONDS
    query = select(JobRow).where(
        or_(JobRow.status.in_(ACTIVE_STATUSES), JobRow.finished_at >= since)
    )
    jobs = await _jobs(store, query.order_by(JobRow.created_at).limit(2000))
    positions = await store.queue.positions() if any(j.status == "queued" for j in jobs) else {}
    running = sorted(
        (j for j in jobs if j.status in ("running", "uploading")),
        key=lambda j: j.started_at or j.created_at,
    )
    queued = sorted(
        (j for j in jobs if j.status == "queued"), key=lambda j: positions.get(j.id, 1 << 30)
    )
    done = sorted(
        (j for j in jobs if j.status in FINAL_STATUSES),
        key=lambda j: j.finished_at or 0,
        reverse=True,
    )
    ordered = running + queued + done
    return LiveJobs(ordered[:limit], positions, max(0, len(running) + len(queued) - limit))


@dataclass(frozen=True)
class Counts:
    """The live page's summary: the queue now, and today's finished jobs (UTC)."""

    queued: int
    running: int
    succeeded_today: int
    failed_today: int
    cancelled_today: int


async def counts(store: Store) -> Counts:
    midnight = start_of_today()
    active_q = (
        select(JobRow.status, func.count())
        .where(JobRow.status.in_(ACTIVE_STATUSES))
        .group_by(JobRow.status)
    )
    today_q = (
        select(JobRow.status, func.count())
        .where(JobRow.status.in_(FINAL_STATUSES), JobRow.finished_at >= midnight)
        .group_by(JobRow.status)
    )
    async with sessions(store.engine)() as s:
        now = {str(k): int(v) for k, v in (await s.execute(active_q)).all()}
        today = {str(k): int(v) for k, v in (await s.execute(today_q)).all()}
    return Counts(
        queued=now.get("queued", 0),
        running=now.get("running", 0) + now.get("uploading", 0),
        succeeded_today=today.get("succeeded", 0),
        failed_today=today.get("failed", 0),
        cancelled_today=today.get("cancelled", 0),
    )


@dataclass(frozen=True)
class HistoryFilter:
    """History's filters, already checked (see ``views.history_filter``)."""

    platform: str | None = None
    status: str | None = None
    guild_id: int | None = None
    text: str | None = None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def history_page(
    store: Store, f: HistoryFilter, *, limit: int, cursor: str | None
) -> tuple[list[Job], str | None]:
    """Finished jobs, newest first, in pages of ``limit`` with the API's cursors
    (:mod:`boss_bot.http.pagination`: ``(created_at, id)`` descending, strictly after the
    cursor). A cursor the API did not issue raises its ``ApiError`` (400)."""
    statuses: Sequence[str] = (f.status,) if f.status else FINAL_STATUSES
    where: list[ColumnElement[bool]] = [JobRow.status.in_(statuses)]
    if f.platform:
        where.append(JobRow.platform == f.platform)
    if f.guild_id is not None:
        where.append(JobRow.guild_id == f.guild_id)
    if f.text:
        pattern = _like(f.text)
        where.append(
            or_(
                JobRow.url.ilike(pattern, escape="\\"),
                JobRow.id.ilike(pattern, escape="\\"),
                JobRow.error_message.ilike(pattern, escape="\\"),
                JobRow.error_code.ilike(pattern, escape="\\"),
            )
        )
    return await page_where(store, where, limit=limit, cursor=cursor)


@dataclass(frozen=True)
class MetricFacts:
    """One job's metrics row (see :class:`~boss_bot.core.jobs.JobMetrics`), plus its time."""

    job_id: str
    platform: str
    outcome: str
    method: str | None
    download_seconds: float | None
    bytes_downloaded: int
    compression_seconds: float | None
    compression_ratio: float | None
    compressed_files: int
    upload_seconds: float | None
    bytes_uploaded: int
    created_at: float


def _facts(row: MetricRow) -> MetricFacts:
    return MetricFacts(**{name: getattr(row, name) for name in MetricFacts.__dataclass_fields__})


async def metric(store: Store, job_id: str) -> MetricFacts | None:
    async with sessions(store.engine)() as s:
        row = await s.get(MetricRow, job_id)
    return None if row is None else _facts(row)


async def metric_rows(store: Store, *, since: float, platform: str | None) -> list[MetricFacts]:
    query = select(MetricRow).where(MetricRow.created_at >= since)
    if platform:
        query = query.where(MetricRow.platform == platform)
    async with sessions(store.engine)() as s:
        rows = (await s.scalars(query.order_by(MetricRow.created_at))).all()
    return [_facts(r) for r in rows]


async def compressed_files(
    store: Store, *, since: float, platform: str | None
) -> list[tuple[float, int, int]]:
    """(the job's metrics time, bytes before, bytes after) of each file that was compressed."""
    query = (
        select(MetricRow.created_at, FileRow.compressed_from_bytes, FileRow.size_bytes)
        .join(FileRow, FileRow.job_id == MetricRow.job_id)
        .where(MetricRow.created_at >= since, FileRow.compressed_from_bytes.is_not(None))
    )
    if platform:
        query = query.where(MetricRow.platform == platform)
    async with sessions(store.engine)() as s:
        rows = (await s.execute(query)).all()
    return [(at, int(before), int(after)) for at, before, after in rows]


async def leased_jobs(store: Store) -> list[tuple[Job, str, float | None]]:
    """Active jobs a worker holds (distributed mode), each with its ``lease_owner`` and
    ``lease_expires_at`` (columns the :class:`Job` snapshot does not carry)."""
    query = (
        select(JobRow)
        .options(raiseload(JobRow.files))
        .where(JobRow.status.in_(ACTIVE_STATUSES), JobRow.lease_owner.is_not(None))
        .order_by(JobRow.started_at)
        .limit(1000)
    )
    async with sessions(store.engine)() as s:
        rows = (await s.scalars(query)).all()
    return [(job_from_row(r), str(r.lease_owner), r.lease_expires_at) for r in rows]


@dataclass(frozen=True)
class GuildRow:
    guild_id: int
    overrides: dict[str, Any]
    updated_at: float
    updated_by: int | None


async def guild_rows(store: Store, *, limit: int = 200) -> list[GuildRow]:
    """Servers that changed some of their settings (the others have the defaults)."""
    query = select(GuildSettingsRow).order_by(GuildSettingsRow.updated_at.desc()).limit(limit)
    async with sessions(store.engine)() as s:
        rows = (await s.scalars(query)).all()
    return [GuildRow(r.guild_id, dict(r.overrides or {}), r.updated_at, r.updated_by) for r in rows]


__all__ = [
    "LIVE_LIMIT",
    "RECENT_SECONDS",
    "Counts",
    "GuildRow",
    "HistoryFilter",
    "LiveJobs",
    "MetricFacts",
    "compressed_files",
    "counts",
    "guild_rows",
    "history_page",
    "leased_jobs",
    "live_jobs",
    "metric",
    "metric_rows",
    "start_of_today",
]
