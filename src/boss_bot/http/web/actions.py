"""The dashboard's actions: cancel, retry, priority (POST forms; a session whose token may write,
and the session's CSRF token in the form). Each answers with a redirect back to the page the
form was on (``next``), carrying a one-line notice, so they work without JavaScript.

They go through the same calls as the bot's commands and the API: the pipeline's ``cancel``,
``retry`` and ``set_priority`` when this process runs one (a running job is stopped here at
once, a retried job is handed to the scheduler), else the store's queue (the process running
the job notices the cancel within a second; a worker picks up a retried job).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from boss_bot.core.jobs import FINAL_STATUSES, QUEUED, Job
from boss_bot.http.services import Services
from boss_bot.http.web.context import (
    Refused,
    SessionDep,
    checked_form,
    dashboard,
    local_path,
    with_notice,
)
from boss_bot.http.web.pages import JOB_ID
from boss_bot.http.web.render import secure
from boss_bot.http.web.views import MAX_PRIORITY, MIN_PRIORITY

router = APIRouter(include_in_schema=False)


def _back(form: dict[str, str], job_id: str, notice: str) -> Response:
    target = local_path(form.get("next"), default=f"/jobs/{job_id}")
    return secure(RedirectResponse(with_notice(target, notice, job_id), status_code=303))


async def _job(services: Services, job_id: str) -> Job | None:
    if not JOB_ID.match(job_id):
        raise Refused(404, "No such job", "That is not a job id.")
    return await services.store.queue.get(job_id)


@router.post("/jobs/{job_id}/cancel")
async def cancel(job_id: str, request: Request, session: SessionDep) -> Response:
    form = await checked_form(request, session)
    services = dashboard(request).services
    job = await _job(services, job_id)
    if job is None:
        return _back(form, job_id, "not-found")
    if job.status in FINAL_STATUSES:
        return _back(form, job_id, "ended")
    job = await services.cancel_job(job, by=session.caller.user_id)
    return _back(form, job_id, "cancelled" if job.status == "cancelled" else "ended")


@router.post("/jobs/{job_id}/retry")
async def retry(job_id: str, request: Request, session: SessionDep) -> Response:
    form = await checked_form(request, session)
    services = dashboard(request).services
    job = await _job(services, job_id)
    if job is None:
        return _back(form, job_id, "not-found")
    if job.status not in ("failed", "cancelled"):
        return _back(form, job_id, "not-retryable")
    if services.retry is not None:
        job = await services.retry(job_id) or job
    else:
        job = await services.store.queue.retry(job_id) or job
    return _back(form, job_id, "retried" if job.status == QUEUED else "not-retryable")


@router.post("/jobs/{job_id}/priority")
async def priority(job_id: str, request: Request, session: SessionDep) -> Response:
    form = await checked_form(request, session)
    services = dashboard(request).services
    raw = form.get("priority", "").strip()
    try:
        value = int(raw)
    except ValueError:
        raise Refused(422, "Invalid priority", "The priority is a whole number.") from None
    if not MIN_PRIORITY <= value <= MAX_PRIORITY:
        raise Refused(
            422, "Invalid priority", f"The priority is from {MIN_PRIORITY} to {MAX_PRIORITY}."
        )
    job = await _job(services, job_id)
    if job is None:
        return _back(form, job_id, "not-found")
    if job.status != QUEUED:
        return _back(form, job_id, "not-queued")
    if services.set_priority is not None:
        await services.set_priority(job_id, value)
    else:
        await services.store.queue.set_priority(job_id, value)
    return _back(form, job_id, "priority")


__all__ = ["router"]
