"""An in-process event bus for live job progress: the pipeline publishes, the HTTP API streams.

Why a bus and not a callback: a job's stages are produced once (by the pipeline, on the event
loop) but may be watched by any number of HTTP clients (``GET /api/v1/jobs/{id}/events``), who
come and go while the job runs. Each subscriber gets its own **bounded** queue, so a slow or
stalled client can never make the pipeline wait or grow memory without limit: when a queue is
full, its oldest progress event is dropped (progress is a level, not a log: the next one says
where the job is). The **final** event (``type == "final"``) is never dropped, and ends every
subscription to that job.

Everything happens on the event loop (publish is a plain, non-blocking call); there is no
locking. Like the settings, the bus is built by whoever builds the pipeline (the bot, a
worker, a test) and handed to the pipeline and to the HTTP app that streams it.

The last final event of each job is kept for a short while (a bounded LRU), so a client that
subscribes just after the job ended still gets its outcome.

Event shape (a JSON-able dict, the same keys the SSE stream sends)::

    {"type": "stage", "job_id": "ab12…", "stage": "downloading", ...}
    {"type": "progress", "job_id": …, "status": "downloading", "downloaded_bytes": …, ...}
    {"type": "final", "job_id": …, "status": "succeeded" | "failed" | "cancelled", ...}
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from typing import Any

from boss_bot.core.models import ProgressEvent

log = logging.getLogger(__name__)

#: Events one subscriber may have waiting before its oldest progress events are dropped.
DEFAULT_QUEUE_SIZE = 256
#: Finished jobs whose final event is remembered for late subscribers.
KEEP_FINALS = 512

FINAL = "final"
STAGE = "stage"
PROGRESS = "progress"


class Subscription:
    """One subscriber's queue for one job. Iterate it (``async for``) until the final event."""

    def __init__(self, bus: EventBus, job_id: str, maxsize: int) -> None:
        self.bus = bus
        self.job_id = job_id
        self.maxsize = maxsize
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.dropped = 0
        self.closed = False

    def _put(self, event: dict[str, Any]) -> None:
        if self.closed:
            return
        if event.get("type") != FINAL:
            while self._queue.qsize() >= self.maxsize:
                # Drop the oldest event to make room; a final event is never queued twice and
                # ends the stream, so it is never the one dropped here.
                self._queue.get_nowait()
                self.dropped += 1
        self._queue.put_nowait(event)
        if event.get("type") == FINAL:
            self.closed = True

    async def get(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next event, or None when ``timeout`` passes first (callers send keep-alives)."""
        if not self._queue.empty():
            return self._queue.get_nowait()
        if timeout is not None and timeout <= 0:
            return None
        if timeout is None:
            return await self._queue.get()
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    def pending(self) -> int:
        return self._queue.qsize()

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            event = await self._queue.get()
            yield event
            if event.get("type") == FINAL:
                return


class EventBus:
    """publish(job_id, event) / subscribe(job_id): see the module docstring."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE, keep_finals: int = KEEP_FINALS):
        self.queue_size = queue_size
        self.keep_finals = keep_finals
        self._subscribers: dict[str, set[Subscription]] = {}
        self._finals: OrderedDict[str, dict[str, Any]] = OrderedDict()

    # -- publishing ----------------------------------------------------------------------------
    def publish(self, job_id: str, event: Mapping[str, Any]) -> None:
        """Hand ``event`` to every subscriber of ``job_id``. Never blocks, never raises for a
        subscriber's sake. A ``final`` event is also remembered for late subscribers."""
        payload = {"job_id": job_id, "at": time.time(), **event}
        payload.setdefault("type", PROGRESS)
        if payload["type"] == FINAL:
            self._finals[job_id] = payload
            self._finals.move_to_end(job_id)
            while len(self._finals) > self.keep_finals:
                self._finals.popitem(last=False)
        for sub in list(self._subscribers.get(job_id, ())):
            try:
                sub._put(payload)
            except Exception:  # a subscriber must never break the publisher (the pipeline)
                log.exception("event subscriber for job %s failed", job_id)

    def stage(self, job_id: str, stage: str, **fields: Any) -> None:
        """A stage change (queued, downloading, compressing, uploading …)."""
        self.publish(job_id, {"type": STAGE, "stage": stage, **_clean(fields)})

    def progress(self, job_id: str, event: ProgressEvent, **fields: Any) -> None:
        """A :class:`ProgressEvent` from the download manager or the compressor, unchanged."""
        self.publish(job_id, {"type": PROGRESS, **event.model_dump(mode="json"), **_clean(fields)})

    def final(self, job_id: str, status: str, **fields: Any) -> None:
        """The job ended (succeeded, failed or cancelled): ends every subscription to it."""
        self.publish(job_id, {"type": FINAL, "status": status, **_clean(fields)})

    # -- subscribing ---------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def subscribe(self, job_id: str) -> AsyncIterator[Subscription]:
        """A subscription for the duration of the ``async with`` block.

        When the job already ended (its final event is remembered), the subscription holds
        that final event at once, so a late subscriber still ends cleanly.
        """
        sub = Subscription(self, job_id, self.queue_size)
        self._subscribers.setdefault(job_id, set()).add(sub)
        if (final := self._finals.get(job_id)) is not None:
            sub._put(final)
        try:
            yield sub
        finally:
            subs = self._subscribers.get(job_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[job_id]

    def final_event(self, job_id: str) -> dict[str, Any] | None:
        """The remembered final event of ``job_id``, if it ended recently."""
        return self._finals.get(job_id)

    def subscriber_count(self, job_id: str | None = None) -> int:
        if job_id is not None:
            return len(self._subscribers.get(job_id, ()))
        return sum(len(s) for s in self._subscribers.values())


#: The pipeline's terminal stage names → the job status they end in.
_FINAL_STAGES = {"done": "succeeded", "failed": "failed", "cancelled": "cancelled"}


def publish_stage(stage: Any, bus: EventBus) -> None:
    """Publish one of the pipeline's ``Stage`` records (any object with ``name``, ``job_id``
    and optional detail fields): ``done``/``failed``/``cancelled`` become the final event,
    everything else a stage event. Duck-typed so this module needs no pipeline import; the
    pipeline calls it from its one stage hook."""
    fields = {
        k: v for k, v in getattr(stage, "__dict__", {}).items() if k not in ("name", "job_id")
    }
    status = _FINAL_STAGES.get(stage.name)
    if status is not None:
        bus.final(stage.job_id, status, **fields)
    else:
        bus.stage(stage.job_id, stage.name, **fields)


def _clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Drop None values (the stream stays small) and turn non-JSON values into strings."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None:
            continue
        out[key] = (
            value if isinstance(value, str | int | float | bool | list | dict) else str(value)
        )
    return out


__all__ = ["FINAL", "PROGRESS", "STAGE", "EventBus", "Subscription", "publish_stage"]
