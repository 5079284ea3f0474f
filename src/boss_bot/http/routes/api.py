"""``/api/v1``: queue downloads, read and cancel jobs, follow one live, platforms and stats."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse

from boss_bot.core.jobs import FINAL_STATUSES, QUEUED
from boss_bot.core.store import Job, Stats
from boss_bot.core.strategies import STRATEGIES
from boss_bot.http.auth import CallerDep, WriterDep
from boss_bot.http.errors import ApiError
from boss_bot.http.intake import intake
from boss_bot.http.models import (
    DownloadAccepted,
    DownloadRequest,
    ErrorBody,
    JobDetail,
    JobOut,
    JobPage,
    PlatformName,
    PlatformOut,
    Platforms,
    StatusFilter,
    job_detail,
)
from boss_bot.http.pagination import page_of_jobs
from boss_bot.http.services import Services
from boss_bot.http.sse import job_event_stream

#: Every /api/v1 route may answer these (the bodies all have the one error shape).
_ERRORS: dict[int | str, dict] = {
    400: {"model": ErrorBody, "description": "Malformed: an unreadable body, a foreign cursor."},
    401: {"model": ErrorBody, "description": "No token, or an unknown one."},
    422: {"model": ErrorBody, "description": "Invalid parameters or body."},
}
_NOT_FOUND: dict[int | str, dict] = {404: {"model": ErrorBody, "description": "No such job."}}
_WRITE: dict[int | str, dict] = {
    403: {"model": ErrorBody, "description": "The token is read-only."},
    413: {"model": ErrorBody, "description": "The body is too large."},
}


async def _known_query_only(request: Request) -> None:
    """Refuse query parameters the route does not take (a typo like ``?statuss=`` would
    otherwise silently list everything)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = {p.alias for p in _all_query_params(dependant)}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ApiError(
            422, "validation_error", f"query.{unknown[0][:40]}: unknown query parameter",
            details=[{"loc": f"query.{name[:40]}", "message": "unknown"} for name in unknown[:20]],
        )  # fmt: skip


def _all_query_params(dependant: Any) -> list[Any]:
    found = list(dependant.query_params)
    for sub in dependant.dependencies:
        found += _all_query_params(sub)
    return found


router = APIRouter(prefix="/api/v1", responses=_ERRORS, dependencies=[Depends(_known_query_only)])

JobId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="A job id.")]


def _services(request: Request) -> Services:
    return request.app.state.services


async def _job_or_404(services: Services, job_id: str) -> Job:
    job = await services.store.queue.get(job_id)
    if job is None:
        raise ApiError(404, "not_found", f"No job {job_id}.")
    return job


@router.post(
    "/downloads",
    status_code=202,
    response_model=DownloadAccepted,
    tags=["downloads"],
    summary="Queue downloads into the archive",
    responses={
        **_WRITE,
        429: {"model": ErrorBody, "description": "Rate limit, quota or queue full."},
    },
)
async def create_downloads(
    body: DownloadRequest, request: Request, caller: WriterDep
) -> DownloadAccepted:
    """Each URL goes through the same intake as a Discord request (URL checks and SSRF
    guard, rate limits and quotas, queue limits) and becomes a persisted ``download-only``
    job; the bot's dispatcher runs it. Refused URLs are listed with their reasons."""
    return await intake(_services(request), caller, body)


@router.get("/jobs", response_model=JobPage, tags=["jobs"], summary="List jobs")
async def list_jobs(
    request: Request,
    _caller: CallerDep,
    status: Annotated[
        StatusFilter | None, Query(description="`active`: queued, running or uploading.")
    ] = None,
    platform: Annotated[PlatformName | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=512,
            pattern=r"^[A-Za-z0-9_-]+$",
            description="`next_cursor` of the previous page (opaque).",
        ),
    ] = None,
) -> JobPage:
    """Newest first, ``limit`` per page; follow ``next_cursor`` until it is null."""
    services = _services(request)
    jobs, next_cursor = await page_of_jobs(
        services.store, status=status, platform=platform, limit=limit, cursor=cursor
    )
    positions = (
        await services.store.queue.positions() if any(j.status == QUEUED for j in jobs) else {}
    )
    return JobPage(items=[JobOut.of(j, positions.get(j.id)) for j in jobs], next_cursor=next_cursor)


@router.get(
    "/jobs/{job_id}", response_model=JobDetail, tags=["jobs"], summary="One job and its files",
    responses=_NOT_FOUND,
)  # fmt: skip
async def get_job(job_id: JobId, request: Request, _caller: CallerDep) -> JobDetail:
    services = _services(request)
    job = await _job_or_404(services, job_id)
    files = await services.store.history.files(job_id)
    position = await services.store.queue.position(job_id) if job.status == QUEUED else None
    return job_detail(job, files, services.settings.download_dir, position)


@router.post(
    "/jobs/{job_id}/cancel",
    response_model=JobOut,
    tags=["jobs"],
    summary="Cancel a job",
    responses={
        **_NOT_FOUND,
        **_WRITE,
        409: {"model": ErrorBody, "description": "The job already ended."},
    },
)
async def cancel_job(job_id: JobId, request: Request, caller: WriterDep) -> JobOut:
    """A queued job never starts; a running one is stopped (its tool processes killed, its
    partial files removed) by the process running it."""
    services = _services(request)
    job = await _job_or_404(services, job_id)
    if job.status in FINAL_STATUSES:
        raise ApiError(409, "conflict", f"Job {job_id} already {job.status}.")
    return JobOut.of(await services.cancel_job(job, by=caller.user_id))


@router.get(
    "/jobs/{job_id}/events",
    tags=["jobs"],
    summary="Follow a job live (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={
        **_NOT_FOUND,
        200: {
            "description": "`text/event-stream`: a `snapshot` event, then `stage` and "
            "`progress` events (the pipeline's ProgressEvents), ending with one `final` event "
            "whose data holds the job as `GET /jobs/{id}` returns it.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def job_events(job_id: JobId, request: Request, _caller: CallerDep) -> StreamingResponse:
    services = _services(request)
    await _job_or_404(services, job_id)
    return StreamingResponse(
        job_event_stream(services, job_id, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/platforms", response_model=Platforms, tags=["info"], summary="Strategies and flags")
async def platforms(request: Request, _caller: CallerDep) -> Platforms:
    settings = _services(request).settings
    return Platforms(
        platforms=[
            PlatformOut(
                name=s.name,
                display_name=s.display_name,
                tool=s.tool,
                use_api_client=settings.use_api_client(s.name),
                flag=f"{s.name.upper()}_USE_API_CLIENT",
                tools=list(settings.tool_order(s.name)),
            )
            for s in STRATEGIES
        ],
        api_fallback_to_cli=settings.download_api_fallback_to_cli,
    )


@router.get("/stats", response_model=Stats, tags=["info"], summary="Download statistics")
async def stats(
    request: Request,
    _caller: CallerDep,
    platform: Annotated[PlatformName | None, Query()] = None,
    days: Annotated[float, Query(gt=0, le=3650, description="Look back this many days.")] = 7,
) -> Stats:
    """The numbers behind ``$stats`` and ``bossctl stats``, from the store."""
    return await _services(request).store.metrics.stats(platform=platform, days=days)
