"""``GET /api/v1/jobs/{id}/events``: a job's live progress as Server-Sent Events.

The stream is plain ``text/event-stream`` written by a StreamingResponse (no extra
dependency)::

    event: snapshot      the job as the store has it when the stream starts
    event: stage         queued (position) / downloading / compressing / uploading …
    event: progress      a ProgressEvent (bytes, total, speed, file) or compression progress
    event: final         the end: status succeeded / failed / cancelled, and the job with its files
    : keepalive          a comment every SSE keep-alive interval (proxies keep the stream open)

Events come from the in-process :class:`~boss_bot.core.events.EventBus`. The subscription is
made *before* the job is read, so nothing between the snapshot and the first event is lost; a
job that already ended gets its final event at once. At every keep-alive the job is also
re-read from the store, so a stream about a job run by another process (or one whose final
event was missed) still ends when the job does. The stream ends on its own at the final event,
when the client goes away (Starlette cancels the generator), at ``sse_max_seconds`` if set, and
within a second of the server shutting down.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request

from boss_bot.core.events import FINAL
from boss_bot.core.jobs import FINAL_STATUSES
from boss_bot.http.models import JobOut, job_detail
from boss_bot.http.services import Services

#: Longest wait between two looks at "is the server shutting down?".
_SHUTDOWN_POLL = 1.0


def sse(event: str, data: dict[str, Any]) -> bytes:
    """One SSE message (``data`` is one line of JSON, so no multi-line escaping is needed)."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _final(services: Services, job_id: str, event: dict[str, Any] | None) -> bytes:
    job = await services.store.queue.get(job_id)
    payload: dict[str, Any] = {"type": FINAL, "job_id": job_id}
    if event is not None:
        payload.update({k: v for k, v in event.items() if k not in ("type", "job_id")})
    if job is not None:
        if job.status in FINAL_STATUSES or "status" not in payload:
            payload["status"] = job.status
        files = await services.store.history.files(job_id)
        payload["job"] = job_detail(job, files, services.settings.download_dir).model_dump(
            mode="json"
        )
    return sse(FINAL, payload)


async def job_event_stream(
    services: Services, job_id: str, request: Request
) -> AsyncIterator[bytes]:
    closing: asyncio.Event = request.app.state.closing
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = None if services.sse_max_seconds is None else started + services.sse_max_seconds
    keepalive = services.sse_keepalive_seconds
    async with services.bus.subscribe(job_id) as sub:
        job = await services.store.queue.get(job_id)
        if job is None:
            yield await _final(services, job_id, {"status": "unknown"})
            return
        yield sse("snapshot", {"type": "snapshot", "job": JobOut.of(job).model_dump(mode="json")})
        if job.status in FINAL_STATUSES and services.bus.final_event(job_id) is None:
            yield await _final(services, job_id, None)
            return
        last_sent = loop.time()
        while not closing.is_set():
            now = loop.time()
            if deadline is not None and now >= deadline:
                return
            wait = min(_SHUTDOWN_POLL, max(0.0, last_sent + keepalive - now))
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - now))
            event = await sub.get(timeout=wait)
            if event is not None:
                if event.get("type") == FINAL:
                    yield await _final(services, job_id, event)
                    return
                yield sse(str(event.get("type", "progress")), event)
                last_sent = loop.time()
                continue
            if loop.time() - last_sent >= keepalive:
                job = await services.store.queue.get(job_id)
                if job is None or job.status in FINAL_STATUSES:
                    yield await _final(services, job_id, None)
                    return
                yield b": keepalive\n\n"
                last_sent = loop.time()
