"""The dashboard's pages (all GET, all need a session): live jobs, history, a job, stats,
workers, servers, and the live stream behind the first two."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from boss_bot.core.guilds import KEYS, display
from boss_bot.core.guilds.overrides import effective
from boss_bot.core.jobs import FINAL_STATUSES, QUEUED
from boss_bot.http.errors import ApiError
from boss_bot.http.web import queries
from boss_bot.http.web.context import Refused, SessionDep, dashboard
from boss_bot.http.web.jobpage import file_views, safe_link, served, timeline
from boss_bot.http.web.live import LiveFeed
from boss_bot.http.web.render import secure
from boss_bot.http.web.session import SESSION_COOKIE, Session
from boss_bot.http.web.stats import DAY_CHOICES, DEFAULT_DAYS, stats_page
from boss_bot.http.web.views import job_view, platform_names
from boss_bot.http.web.workers import workers_page

router = APIRouter(include_in_schema=False)

JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,512}$")
PAGE_SIZE = 50
NOTICES = {
    "cancelled": "Job {job} cancelled.",
    "retried": "Job {job} is queued again.",
    "priority": "Job {job}'s priority changed.",
    "ended": "Job {job} had already ended.",
    "not-found": "There is no job {job}.",
    "not-retryable": "Job {job} cannot be retried (only failed or cancelled jobs can).",
    "not-queued": "Job {job} is no longer queued; only a queued job's priority can change.",
}


def notice_of(request: Request) -> str | None:
    """The one-line result of the last action (fixed texts; the job id is checked)."""
    text = NOTICES.get(request.query_params.get("notice", ""))
    job = request.query_params.get("job", "")
    if text is None or not JOB_ID.match(job):
        return None
    return text.format(job=job)


def _job_id(job_id: str) -> str:
    if not JOB_ID.match(job_id):
        raise Refused(404, "No such job", "That is not a job id.")
    return job_id


@router.get("/")
async def live_page(request: Request, session: SessionDep) -> Response:
    web = dashboard(request)
    live = await queries.live_jobs(web.services.store)
    counts = await queries.counts(web.services.store)
    views = [
        job_view(j, web.people, position=live.positions.get(j.id), writer=not session.read_only)
        for j in live.jobs
    ]
    return web.pages.page(
        request,
        "live.html",
        views=views,
        more=live.more,
        counts=counts,
        speed=0.0,
        notice=notice_of(request),
    )


@router.get("/live/events")
async def live_events(request: Request) -> Response:
    """The stream (see :mod:`.live`). Without a session it says ``end`` at once: a 401 would
    make the browser's EventSource retry forever."""
    web = dashboard(request)
    job_id = request.query_params.get("job")
    if job_id is not None and not JOB_ID.match(job_id):
        job_id = None
    cookie = request.cookies.get(SESSION_COOKIE)

    def session() -> Session | None:  # read again at every tick: sessions expire
        return web.sessions.read(cookie)

    feed = LiveFeed(web, session, job_id)
    return secure(
        StreamingResponse(
            feed.stream(request.app.state.closing),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
    )


def _history_filter(request: Request) -> tuple[queries.HistoryFilter, list[str]]:
    q = request.query_params
    problems: list[str] = []
    platform = q.get("platform") or None
    if platform is not None and platform not in platform_names():
        problems.append("Unknown platform: showing every platform.")
        platform = None
    status = q.get("status") or None
    if status is not None and status not in FINAL_STATUSES:
        problems.append("History lists finished jobs: succeeded, failed or cancelled.")
        status = None
    guild = (q.get("guild") or "").strip()
    guild_id = None
    if guild:
        if guild.isdigit() and len(guild) <= 20:
            guild_id = int(guild)
        else:
            problems.append("A server is given by its numeric id.")
    text = (q.get("q") or "").strip()[:200] or None
    return queries.HistoryFilter(platform, status, guild_id, text), problems


@router.get("/history")
async def history(request: Request, session: SessionDep) -> Response:
    web = dashboard(request)
    filters, problems = _history_filter(request)
    cursor = request.query_params.get("cursor") or None
    if cursor is not None and not CURSOR.match(cursor):
        cursor = None
        problems.append("That page link is not one this site made: showing the first page.")
    try:
        jobs, next_cursor = await queries.history_page(
            web.services.store, filters, limit=PAGE_SIZE, cursor=cursor
        )
    except ApiError:
        problems.append("That page link is not one this site made: showing the first page.")
        cursor = None
        jobs, next_cursor = await queries.history_page(
            web.services.store, filters, limit=PAGE_SIZE, cursor=None
        )
    views = [job_view(j, web.people, writer=not session.read_only) for j in jobs]
    kept = [
        (k, v)
        for k, v in (
            ("platform", filters.platform),
            ("status", filters.status),
            ("guild", None if filters.guild_id is None else str(filters.guild_id)),
            ("q", filters.text),
        )
        if v
    ]
    first_link = "/history" + (f"?{urlencode(kept)}" if kept else "")
    here = "/history?" + urlencode(kept + ([("cursor", cursor)] if cursor else []))
    return web.pages.page(
        request,
        "history.html",
        views=views,
        filters=filters,
        problems=problems,
        first_page=cursor is None,
        first_link=first_link,
        here=here,
        next_link=f"/history?{urlencode([*kept, ('cursor', next_cursor)])}"
        if next_cursor
        else None,
        platforms=platform_names(),
        statuses=FINAL_STATUSES,
        notice=notice_of(request),
    )


@router.get("/jobs/{job_id}")
async def job_page(job_id: str, request: Request, session: SessionDep) -> Response:
    web = dashboard(request)
    store = web.services.store
    job = await store.queue.get(_job_id(job_id))
    if job is None:
        raise Refused(404, "No such job", f"There is no job {job_id}.")
    files = await store.history.files(job.id)
    metric = await queries.metric(store, job.id)
    position = await store.queue.position(job.id) if job.status == QUEUED else None
    view = job_view(job, web.people, position=position, writer=not session.read_only)
    return web.pages.page(
        request,
        "job.html",
        view=view,
        job_link=safe_link(job.url),
        files=file_views(files, web.services.settings.download_dir),
        steps=timeline(job, metric),
        served=served(job, metric),
        notice=notice_of(request),
    )


@router.get("/stats")
async def stats(request: Request, _session: SessionDep) -> Response:
    web = dashboard(request)
    raw_days = request.query_params.get("days", "")
    days = int(raw_days) if raw_days.isdigit() and int(raw_days) in DAY_CHOICES else DEFAULT_DAYS
    platform = request.query_params.get("platform") or None
    if platform not in platform_names():
        platform = None
    data = await stats_page(web.services.store, days=days, platform=platform)
    return web.pages.page(
        request,
        "stats.html",
        data=data,
        days=days,
        platform=platform,
        day_choices=DAY_CHOICES,
        platforms=platform_names(),
    )


@router.get("/workers")
async def workers(request: Request, _session: SessionDep) -> Response:
    web = dashboard(request)
    data = await workers_page(web.services.store, web.workers)
    return web.pages.page(
        request, "workers.html", data=data, lease_seconds=web.services.settings.worker_lease_seconds
    )


@router.get("/servers")
async def servers(request: Request, _session: SessionDep) -> Response:
    """Per-server settings, read-only: the defaults, then each server that changed some."""
    web = dashboard(request)
    defaults = web.guild_defaults
    rows = await queries.guild_rows(web.services.store)
    guilds = []
    for row in rows:
        current = effective(defaults, row.overrides)
        values = [
            (key, display(key, current.value(key), mentions=False), key in row.overrides)
            for key in KEYS
        ]
        changes = await web.services.store.guilds.changes(row.guild_id, 5)
        guilds.append((row, values, changes))
    default_values = [(key, display(key, defaults.value(key), mentions=False)) for key in KEYS]
    return web.pages.page(request, "servers.html", guilds=guilds, defaults=default_values)


__all__ = ["router"]
