"""`Pipeline`: what the edges call. Builds the parts, starts and stops them, takes requests.

The public API (submit, dispatch, wait, run, cancel, retry, set_priority, the queries, and
``run_claimed`` / ``renew_and_reclaim`` for the worker role) is the whole surface the bot, a
worker, the HTTP API and the tests use. The work is done by the parts beside this module:
:mod:`.scheduler` (which job next), :mod:`.run` (one job's steps), :mod:`.recovery` (jobs
this process did not submit) and :mod:`.held` (what they share).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from boss_bot.core.archive import Archive
from boss_bot.core.jobs import CANCELLED, LimitBook, read_job
from boss_bot.core.links import Links
from boss_bot.core.pipeline.deliver import Deliverer
from boss_bot.core.pipeline.fit import Fitter
from boss_bot.core.pipeline.held import HeldJobs, work_dir_for
from boss_bot.core.pipeline.recovery import (
    Adopter,
    adopt_waiting,
    reclaim_expired,
    recover_at_start,
)
from boss_bot.core.pipeline.run import JobRunner
from boss_bot.core.pipeline.scheduler import Scheduler
from boss_bot.core.pipeline.types import (
    AdoptReason,
    AlreadyPosted,
    Attachment,
    Dispatch,
    JobHost,
    JobResult,
    Role,
)

if TYPE_CHECKING:
    from boss_bot.core.events import EventBus
    from boss_bot.core.jobs import Job, JobQueue, JobRequest
    from boss_bot.core.manager import DownloadManager
    from boss_bot.core.settings import BossSettings
    from boss_bot.core.store import Store
    from boss_bot.core.telemetry import Telemetry

log = logging.getLogger(__name__)

#: How long a shutdown waits for jobs to clean up after being cancelled.
CLOSE_TIMEOUT = 30.0


class Pipeline:
    """Runs jobs (see the package docstring). One per process, shared by every command.

    ``bus`` and ``telemetry`` belong to whoever builds the pipeline (the bot, a worker, a
    test), like ``settings``: stages and progress are published on the bus, job metrics are
    recorded in the telemetry. ``owns`` says which guilds' jobs this process may adopt at start
    (a bot process running some of the gateway shards: :meth:`ShardSet.owns
    <boss_bot.core.shards.ShardSet.owns>`, None for a DM); unset, every job is its own.
    """

    def __init__(
        self,
        settings: BossSettings,
        manager: DownloadManager,
        store: Store,
        *,
        bus: EventBus,
        telemetry: Telemetry,
        queue: JobQueue | None = None,
        host: JobHost | None = None,
        role: Role = "embedded",
        dispatch: Dispatch | None = None,
        owner: str | None = None,
        owns: Callable[[int | None], bool] | None = None,
    ) -> None:
        if role == "dispatcher" and dispatch is None:
            raise ValueError("a dispatcher pipeline needs a Dispatch (arq tickets)")
        if role == "worker" and owner is None:
            raise ValueError("a worker pipeline needs an owner name for its leases")
        self.settings = settings
        self.role: Role = role
        self.dispatch_to = dispatch
        #: The lease owner (worker role): unique per worker process.
        self.owner = owner
        #: Whether a guild's jobs (None: DMs) are this process's to adopt at start.
        self.owns: Callable[[int | None], bool] = owns or _every_guild
        self.manager = manager
        self.store = store
        self.queue: JobQueue = queue or store.queue
        self.bus = bus
        self.telemetry = telemetry
        self.limits = LimitBook(store.limits)
        self.archive = Archive(settings, store.history)
        self.held = HeldJobs(bus)
        self.adopter = Adopter(self.held, host)
        links = Links(settings) if settings.links_enabled else None
        fitter = Fitter(settings, self.queue, bus, telemetry, links)
        deliverer = Deliverer(settings, self.queue, store.history, self.limits, fitter, telemetry)
        self.runner = JobRunner(
            settings,
            manager=manager,
            store=store,
            queue=self.queue,
            held=self.held,
            archive=self.archive,
            deliverer=deliverer,
            telemetry=telemetry,
        )
        self.scheduler = Scheduler(
            settings,
            self.queue,
            self.held,
            role=role,
            owner=owner,
            start_job=self.runner.start,
            adopt=self.adopter.adopt_soon,
            telemetry=telemetry,
        )
        self._pump_task: asyncio.Task[None] | None = None

    @property
    def host(self) -> JobHost | None:
        return self.adopter.host

    @host.setter
    def host(self, host: JobHost | None) -> None:
        self.adopter.host = host

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> list[Job]:
        """Recover after a restart, hand every active job of the guilds this process ``owns``
        to the host, start scheduling.

        Returns the jobs that were running when the process stopped (now queued again).
        Distributed roles recover nothing here: a dead worker's jobs come back through their
        expired leases (:meth:`renew_and_reclaim`), never because some process restarted. A
        dispatcher (a bot process) adopts the still-queued jobs of its guilds, so their status
        messages say so and are followed until a worker takes them.
        """
        resumed: list[Job] = []
        if self.role == "embedded":
            resumed = await recover_at_start(
                self.queue, self.settings.requests_dir, self.settings.max_queue_size, self.adopter,
                owns=self.owns,
            )  # fmt: skip
        elif self.role == "dispatcher":
            await adopt_waiting(self.queue, self.settings.max_queue_size, self.adopter, self.owns)
        self._pump_task = asyncio.create_task(self.scheduler.pump(), name="pipeline-pump")
        return resumed

    def stopping(self) -> None:
        """The process is shutting down: jobs cancelled from now on are interrupted (they stay
        in the database for the next start or another worker), not cancelled or failed."""
        self.scheduler.closing = True

    async def close(self) -> None:
        """Stop scheduling; stop running jobs (files cleaned up) but leave them in the database,
        so the next start resumes them."""
        self.scheduler.closing = True
        if self._pump_task is not None:
            self._pump_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump_task
        tasks = []
        for held in list(self.held.live.values()):
            if held.adoption is not None and not held.adoption.done():
                held.adoption.cancel()
            if held.task is not None and not held.task.done():
                if held.cancel_reason is None:
                    held.cancel_reason = "shutdown"
                    held.task.cancel()
                tasks.append(held.task)
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)
        for held in list(self.held.live.values()):
            if held.task is None:
                job = await read_job(self.queue, held.job_id)
                if job is not None:
                    # A dispatcher's jobs go on without it: the workers report to the users.
                    remote = self.role == "dispatcher"
                    self.held.settle(held, JobResult(job=job, outcome="interrupted", remote=remote))

    # -- requests ----------------------------------------------------------------------------
    async def submit(
        self,
        request: JobRequest,
        *,
        attachment: Attachment | None = None,
        admin: bool = False,
        dispatch: bool = True,
    ) -> Job | AlreadyPosted:
        """Persist a job for ``request`` and queue it; returns at once.

        ``dispatch=False`` holds the job back from the workers until :meth:`dispatch` (the bot
        first notes the status message, so the worker edits it rather than posting its own).
        A dispatcher's job waits as ``preparing`` meanwhile, as a ticket sent for *another* job
        claims the fair next one, which may be this one.

        Returns :class:`AlreadyPosted` instead when the same media was posted in the same guild
        within the dedup window. Raises :class:`~boss_bot.core.errors.QuotaExceededError`
        (admins are exempt) or :class:`~boss_bot.core.errors.QueueFullError` when refused.
        """
        attachment = attachment or Attachment()
        if request.upload and attachment.uploader is None:
            raise ValueError("an uploading job needs an uploader")
        window = self.settings.dedup_window_hours * 3600
        if request.upload and not request.force and window > 0:
            prior = await self.store.history.recent_post(
                request.media_key, request.guild_id, window
            )
            if prior is not None:
                return AlreadyPosted(prior.job_id, request.media_key, prior.jump_url,
                                     prior.posted_at)  # fmt: skip
        await self.store.quotas.check(
            user_id=request.user_id, guild_id=request.guild_id, admin=admin
        )
        async with self.held.lock:
            preparing = not dispatch and self.dispatch_to is not None
            job = await self.queue.enqueue(request, preparing=preparing)
            self.held.hold(job.id, request, attachment)
        if dispatch:
            await self._ticket(job.id)
        self.held.wake.set()
        return job

    async def dispatch(self, job_id: str) -> None:
        """Get a job submitted with ``dispatch=False`` run: a dispatcher opens it to the
        workers' claims (it was ``preparing``) and sends its ticket; embedded mode's
        scheduler is simply woken."""
        if self.dispatch_to is not None:
            try:
                await self.queue.mark_ready(job_id)
            except Exception as exc:  # opened by a worker after the grace instead
                log.warning("job %s: not marked ready (%s)", job_id, exc)
        await self._ticket(job_id)

    async def _ticket(self, job_id: str) -> None:
        """A dispatcher sends a queued job's arq ticket; embedded mode wakes its scheduler.
        A failed ticket is not an error: the workers' reconciliation sends one for every
        queued job that lacks one (e.g. while Redis restarts)."""
        if self.dispatch_to is None:
            self.held.wake.set()
            return
        try:
            await self.dispatch_to.ticket(job_id)
        except Exception as exc:
            log.warning("job %s: no ticket sent (%s); the workers will pick it up", job_id, exc)

    async def wait(self, job_id: str) -> JobResult:
        """The result of a job this process holds (a cancelled job returns, it does not raise)."""
        held = self.held.get(job_id)  # a retried job's new run wins over its old result
        if held is not None:
            return await asyncio.shield(held.done)
        if job_id in self.held.results:
            return self.held.results[job_id]
        raise KeyError(job_id)

    async def run(
        self, request: JobRequest, *, attachment: Attachment | None = None, admin: bool = False
    ) -> JobResult | AlreadyPosted:
        submitted = await self.submit(request, attachment=attachment, admin=admin)
        if isinstance(submitted, AlreadyPosted):
            return submitted
        return await self.wait(submitted.id)

    async def cancel(self, job_id: str, *, by: int | None = None) -> Job | None:
        """Cancel a queued or running job: its processes are killed and its files removed."""
        async with self.held.lock:
            job = await self.queue.cancel(job_id, by=by)
            held = self.held.get(job_id)
            if held is not None and job is not None and job.status == CANCELLED:
                if self.role == "dispatcher":  # its worker sees it within ~1 s
                    self.held.settle(held, JobResult.ended_elsewhere(job))
                else:
                    self.held.stop(held, job, "user")
        return job

    async def retry(self, job_id: str) -> Job | None:
        """A failed or cancelled job back in the queue; the host is asked where it goes."""
        job = await self.queue.retry(job_id)
        if job is None or job.status != "queued":
            return job
        if self.role == "dispatcher":
            await self._ticket(job.id)  # the worker that takes it adopts it
        elif self.held.get(job.id) is None:
            self.adopter.adopt_soon(job, "retry")
            self.held.wake.set()
        return job

    async def set_priority(self, job_id: str, priority: int) -> Job | None:
        job = await self.queue.set_priority(job_id, priority)
        self.held.wake.set()
        return job

    async def note_status_message(self, job_id: str, message_id: int) -> None:
        """Remember the status message, so a restart can edit it instead of posting anew."""
        await self.queue.set_stage(job_id, status_message_id=message_id)

    # -- worker role -------------------------------------------------------------------------
    async def run_claimed(self) -> JobResult | None:
        """Worker role, called by an arq ticket: claim the fair next job (any user's, so
        fairness holds across every worker), adopt it, run it. None when the queue is empty.

        Cancelling this coroutine (arq's job timeout, a worker shutdown) stops the job: a
        timeout fails it, a shutdown leaves it to :meth:`SqlJobQueue.release`.
        """
        assert self.role == "worker" and self.owner is not None
        async with self.held.lock:
            job = await self.queue.claim(
                owner=self.owner, lease_seconds=self.settings.worker_lease_seconds
            )
            if job is None:
                return None
            reason: AdoptReason = "restart" if job.resumed else (
                "retry" if job.attempts > 1 else "queued")  # fmt: skip
            held = self.adopter.adopt_soon(job, reason)
            self.runner.start(held, job)
        try:
            return await asyncio.shield(held.done)
        except asyncio.CancelledError:
            if held.running and held.cancel_reason is None:
                held.cancel_reason = "shutdown" if self.scheduler.closing else "timeout"
                assert held.task is not None
                held.task.cancel()
            raise

    async def renew_and_reclaim(self) -> list[Job]:
        """Put jobs whose worker died (lease expired) back in the queue, with their partial
        files removed when they are on this machine; returns them (each needs a ticket)."""
        return await reclaim_expired(self.queue, self.settings.requests_dir)

    # -- queries -----------------------------------------------------------------------------
    async def get(self, job_id: str) -> Job | None:
        return await self.queue.get(job_id)

    async def position(self, job_id: str) -> int | None:
        return await self.queue.position(job_id)

    async def jobs(self, *, user_id: int | None = None) -> list[Job]:
        """Active jobs (queued, running, uploading), oldest first."""
        found = await self.queue.list(status="active", user_id=user_id, limit=500)
        return sorted(found, key=lambda j: j.created_at)

    def running_jobs(self) -> list[str]:
        """Ids of the jobs running in this process."""
        return self.held.running_ids()

    def is_running(self, job_id: str) -> bool:
        held = self.held.get(job_id)
        return held is not None and held.running

    def work_dirs(self) -> set[Path]:
        """The directories of the jobs this process holds (clean-up must not touch them)."""
        return {work_dir_for(self.settings.requests_dir, job_id) for job_id in self.held.live}


def _every_guild(guild_id: int | None) -> bool:
    return True


__all__ = ["CLOSE_TIMEOUT", "Pipeline"]
