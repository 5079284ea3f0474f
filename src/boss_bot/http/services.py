"""What the HTTP app needs from the process it runs in, handed to :func:`create_app`.

The app builds nothing itself (no settings, no store, no pipeline): the bot (or a worker, or
a test) passes what it has. Optional hooks are None where they make no sense, e.g. a worker
process has no gateway, so ``/readyz`` does not check one there.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from boss_bot.core.events import EventBus
from boss_bot.core.jobs import FINAL_STATUSES, QUEUED, Job
from boss_bot.core.links import Links
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store
from boss_bot.core.telemetry import Telemetry
from boss_bot.core.urls import Resolver

#: ``submit(request) -> Job | AlreadyPosted``: the in-process pipeline's intake (quotas, queue
#: limits, persisted job, scheduler woken). Typed loosely so this module needs no pipeline.
Submit = Callable[[Any], Awaitable[Any]]


@dataclass
class Services:
    settings: BossSettings
    store: Store
    #: The process's event bus and telemetry (the pipeline's); a fresh pair when the process
    #: has no pipeline to share them with (a test of the app alone).
    bus: EventBus = field(default_factory=EventBus)
    telemetry: Telemetry = field(default_factory=Telemetry)
    #: True while the Discord gateway is connected (the bot); None: not a gateway process.
    gateway_connected: Callable[[], bool] | None = None
    #: The pipeline's ``submit``; None: jobs are only persisted (``quotas.check`` + ``enqueue``)
    #: and the bot's dispatcher claims them from the queue.
    submit: Submit | None = None
    #: The pipeline's ``cancel(job_id, by=...)``: stops a running job in this process at once
    #: (None: the store is updated and the process running it notices within a second).
    cancel: Callable[..., Awaitable[Any]] | None = None
    #: The pipeline's ``retry(job_id)`` and ``set_priority(job_id, priority)`` (the dashboard's
    #: buttons): a retried job is handed to this process's scheduler at once. None: the store's
    #: queue is updated and the scheduler (or a worker) picks the job up from there.
    retry: Callable[[str], Awaitable[Any]] | None = None
    set_priority: Callable[[str, int], Awaitable[Any]] | None = None
    #: The files kept for links (``/f/{token}/{name}``; PUBLIC_BASE_URL). None: links are off.
    links: Links | None = None
    #: check_url's resolver (tests inject one so they never need DNS).
    resolve: Resolver | None = None
    #: Is ffmpeg there? Default: ``shutil.which(FFMPEG_PATH)``.
    ffmpeg_available: Callable[[], bool] | None = None
    #: SSE: seconds between keep-alive comments, which also re-check the job in the store.
    sse_keepalive_seconds: float = 15.0
    #: SSE: close a stream after this long (None: when the job ends). Clients reconnect.
    sse_max_seconds: float | None = None
    #: How long a readiness or metrics probe waits for the store.
    probe_timeout_seconds: float = 2.0

    async def cancel_job(self, job: Job, *, by: int | None) -> Job:
        """Cancel ``job`` (read just before) for the API and the dashboard alike: through the
        pipeline when this process has one, else in the store. Returns the job as it is now."""
        was_queued = job.status == QUEUED
        if self.cancel is not None:
            job = await self.cancel(job.id, by=by) or job
        else:
            job = await self.store.queue.cancel(job.id, by=by) or job
        if was_queued and job.status in FINAL_STATUSES and self.bus.final_event(job.id) is None:
            # It never started, so no pipeline will announce its end: tell followers here. (A
            # running job's end is announced by the pipeline running it, once it has cleaned up.)
            self.bus.final(job.id, job.status)
        return job

    def has_ffmpeg(self) -> bool:
        if self.ffmpeg_available is not None:
            return self.ffmpeg_available()
        return shutil.which(self.settings.ffmpeg_path) is not None
