"""The request pipeline: one link in, files posted (or archived), a summary out. No Discord here.

::

    submit ─► (already posted here? → AlreadyPosted)  ─► quota ─► persisted job (queued)
           ─► claimed in fair order ─► downloading ─► compressing ─► uploading ─► succeeded
                                                          (or failed / cancelled at any point)

* **Persisted first.** :meth:`Pipeline.submit` writes the job to the store's queue before any
  work starts. A scheduler task (the *pump*) claims jobs with ``queue.claim()`` (round-robin
  across users, then priority, then age) while fewer than ``MAX_CONCURRENT_DOWNLOADS`` are
  downloading, and tells waiting jobs their position whenever it changes. Compression and
  uploads hold no download slot, so a slow upload never stalls the queue.
* **Cancel from anywhere.** Every ~1 s the pump reads the status of the jobs this process
  holds; a job cancelled in the database (``bossctl queue cancel``) has its task cancelled: the
  download manager kills the tool's processes and everything in the job's directory goes.
* **Restarts.** :meth:`Pipeline.start` calls ``queue.recover()``: jobs that were running are
  queued again (``resumed``) after their partial files (``work_dir``) are removed; every job still
  active is handed to the :class:`JobHost` (the bot), which tells its user and says where its
  files go. A graceful shutdown leaves running jobs in the database for the next start, so
  nothing is silently lost.
* **Dedup.** The same canonical media (``media_key_for``) posted in the same guild within
  ``DEDUP_WINDOW_HOURS`` is answered with the earlier post's link instead of a re-upload
  (``force`` skips the check). ``download-only`` files go to the :class:`Archive`, deduplicated
  by sha256.
* **Fit and post.** Files over the destination's limit are compressed (or split) to fit,
  planned into the fewest messages, and posted through the edge's :class:`Uploader`. A 413
  lowers the learnt per-guild limit (persisted) and the rest is refitted and retried once.
* **Roles.** ``embedded`` (the default) does all of the above in one process. In distributed
  mode (QUEUE_BACKEND=redis, :mod:`boss_bot.core.distributed`) the bot's pipeline is the
  ``dispatcher``: it persists jobs, sends each a ticket through arq and follows their status
  in the database, but runs none. A ``worker`` pipeline runs the jobs its arq tickets claim
  (:meth:`Pipeline.run_claimed`), holding a lease it renews; cancels still reach it through the
  database.
* **Never twice.** Every posted file is recorded with its message before the next batch, so a
  job run again (after a crash, on another worker) skips what was already posted; each batch is
  sent with a nonce derived from the job and its files, so Discord itself drops a repeat of a
  send whose answer was lost.
* **Records.** Stage and status changes, the files (size, sha256, dimensions, the message they
  were posted in), one metrics row per job and the history entry of a successful post all go to
  the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, Protocol

from boss_bot.core import paths, telemetry
from boss_bot.core.archive import Archive, ArchivedFile
from boss_bot.core.compression import compress_to_fit
from boss_bot.core.dedup import digest
from boss_bot.core.errors import (
    BossBotError,
    UnsafePathError,
    UploadError,
    UploadTooLargeError,
)
from boss_bot.core.events import BUS, publish_stage
from boss_bot.core.jobs import (
    CANCELLED,
    FINAL_STATUSES,
    UPLOADING,
    Job,
    JobMeter,
    JobQueue,
    JobRequest,
    LimitBook,
)
from boss_bot.core.logs import job_context
from boss_bot.core.logs import set_stage as set_log_stage
from boss_bot.core.manager import DownloadManager
from boss_bot.core.models import (
    STATUS_COMPRESSING,
    STATUS_DOWNLOADING,
    MediaFile,
    MediaMetadata,
    ProgressEvent,
    file_type_for,
)
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store
from boss_bot.core.store.history import StoredFile
from boss_bot.core.store.metrics import SUCCESS
from boss_bot.core.upload.limits import MAX_ATTACHMENTS_PER_MESSAGE
from boss_bot.core.upload.planner import plan_batches

log = logging.getLogger(__name__)

StageName = Literal[
    "queued", "downloading", "compressing", "uploading", "done", "failed", "cancelled",
    "interrupted", "handed_over",
]  # fmt: skip
#: ``handed_over`` (dispatcher only): a worker claimed the job; its status message is the
#: worker's to edit from now on.
#: ``interrupted``: the bot shut down; the job stays in the database and runs after the restart.
Outcome = Literal["done", "failed", "cancelled", "interrupted"]
#: Why a job is handed to the host without having been submitted by this process.
AdoptReason = Literal["restart", "retry", "queued"]
#: What this process does with jobs (see the module docstring).
Role = Literal["embedded", "dispatcher", "worker"]
#: Statuses of a job some process has claimed.
ACTIVE_CLAIMED = ("running", "uploading")
#: Seconds between two looks at the database for cancels made elsewhere and new positions.
POLL_SECONDS = 1.0
#: Finished jobs whose result can still be awaited with :meth:`Pipeline.wait`.
_KEEP_RESULTS = 256
#: How long a shutdown waits for jobs to clean up after being cancelled.
_CLOSE_TIMEOUT = 30.0


# --- what flows in and out ------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One status change, for the status message. Fields not relevant to ``name`` are None."""

    name: StageName
    job_id: str
    position: int | None = None
    done_bytes: int | None = None
    total_bytes: int | None = None
    speed: float | None = None
    percent: float | None = None
    filename: str | None = None
    batch: int | None = None
    batches: int | None = None
    note: str | None = None


StageCallback = Callable[[Stage], None]
"""Called on the event loop for each stage change; must not block (the bot throttles edits)."""


@dataclass(frozen=True)
class OutFile:
    """A file ready to post (a :class:`~boss_bot.core.upload.planner.SizedFile`)."""

    path: Path
    size_bytes: int
    #: The downloaded file this came from (itself when posted unchanged).
    source: Path
    part: int | None = None
    parts: int | None = None

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class UploadBatch:
    """One message to send: the files in post order and where it sits among the messages."""

    index: int  # 1-based
    total: int
    files: tuple[OutFile, ...]
    url: str
    title: str | None
    #: Idempotency key for the send (Discord's ``nonce`` + ``enforce_nonce``): the same job and
    #: files give the same nonce, so a send repeated after a lost answer is not posted twice.
    nonce: str | None = None


@dataclass(frozen=True)
class Posted:
    """The message a batch went out in (its jump URL is what dedup replies link to)."""

    message_id: int
    jump_url: str


class Uploader(Protocol):
    """The edge's half of an upload: the destination's limit and a way to post a batch.

    ``send`` raises :class:`UploadTooLargeError` for a 413 / 40005 and :class:`UploadError` for
    other refusals; rate limits and 5xx are the Discord library's to retry, not the pipeline's.
    """

    @property
    def file_limit(self) -> int:
        """The advertised per-file limit in bytes for this destination."""
        ...

    async def send(self, batch: UploadBatch) -> Posted | None: ...


@dataclass(frozen=True)
class Attachment:
    """Where a job's files and stage changes go (given by the edge that runs it for someone)."""

    uploader: Uploader | None = None
    on_stage: StageCallback | None = None


class Dispatch(Protocol):
    """Distributed mode's way to get a queued job run: one arq ticket per job."""

    async def ticket(self, job_id: str) -> None: ...


class JobHost(Protocol):
    """The edge (the bot) for jobs this process did not submit: resumed after a restart,
    retried (from Discord or the CLI) or queued by someone else. ``adopt`` tells the user and
    returns where the job's files and stages go; None when there is nowhere to post."""

    async def adopt(self, job: Job, request: JobRequest, reason: AdoptReason) -> Attachment | None:
        """Called once per such job, before it runs (may wait until the edge is ready)."""
        ...


@dataclass(frozen=True)
class AlreadyPosted:
    """The answer instead of a job: this media was posted here recently."""

    job_id: str
    media_key: str
    jump_url: str | None
    posted_at: float


@dataclass(frozen=True)
class FileReport:
    """What happened to one downloaded file on its way out."""

    name: str
    original_bytes: int
    final_bytes: int
    method: str  # "unchanged" or the compressor's method
    parts: int = 1

    @property
    def compressed(self) -> bool:
        return self.method != "unchanged"


@dataclass
class JobResult:
    """The outcome of one job, for the summary reply."""

    job: Job
    outcome: Outcome
    metadata: MediaMetadata | None = None
    files: list[FileReport] = field(default_factory=list)
    posted: int = 0  # files posted
    messages: int = 0  # messages sent
    seconds: float = 0.0
    #: Where the files are when they were kept (download-only, failed upload, no cleanup).
    saved_to: Path | None = None
    saved_files: list[Path] = field(default_factory=list)
    #: Files that were already in the archive (same sha256): not stored again.
    duplicates: int = 0
    error: BossBotError | None = None
    limit_bytes: int | None = None  # the per-file limit the files were fitted to
    #: The first posted message's link (what a later duplicate request is pointed at).
    jump_url: str | None = None
    #: Another process (a worker) ran the job and told the user itself: the status message is
    #: not this process's to finish.
    remote: bool = False


@dataclass(eq=False)
class _Live:
    """A job this process holds: submitted here, or adopted. Lives until the job settles."""

    job_id: str
    request: JobRequest
    attachment: Attachment
    done: asyncio.Future[JobResult]
    task: asyncio.Task[None] | None = None
    adoption: asyncio.Task[None] | None = None
    position: int | None = None
    #: Why its task was cancelled: "user", "external" (the database says so) or "shutdown".
    cancel_reason: str | None = None
    #: Writing its final status: the watcher must not take that for a cancel made elsewhere.
    finishing: bool = False
    #: Dispatcher: a worker has claimed it (its status message is the worker's now).
    handed: bool = False


# --- the pipeline ---------------------------------------------------------------------------


class Pipeline:
    """Runs jobs: see the module docstring. One per process, shared by every command."""

    def __init__(
        self,
        settings: BossSettings,
        manager: DownloadManager,
        store: Store,
        *,
        queue: JobQueue | None = None,
        host: JobHost | None = None,
        role: Role = "embedded",
        dispatch: Dispatch | None = None,
        owner: str | None = None,
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
        self.manager = manager
        self.store = store
        self.queue: JobQueue = queue or store.queue
        self.host = host
        self.limits = LimitBook(store.limits)
        self.archive = Archive(settings, store.history)
        self._live: dict[str, _Live] = {}
        self._results: OrderedDict[str, JobResult] = OrderedDict()
        self._downloading: set[str] = set()
        self._lock = asyncio.Lock()  # claim+register vs enqueue+register vs cancel
        self._wake = asyncio.Event()
        self._pump_task: asyncio.Task[None] | None = None
        self._closing = False

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> list[Job]:
        """Recover after a restart, hand every active job to the host, start scheduling.

        Returns the jobs that were running when the process stopped (now queued again).
        Distributed roles recover nothing here: a dead worker's jobs come back through their
        expired leases (:meth:`renew_and_reclaim`), never because some process restarted.
        """
        if self.role != "embedded":
            self._pump_task = asyncio.create_task(self._pump(), name="pipeline-pump")
            return []
        resumed = await self.queue.recover()
        for job in resumed:
            if job.work_dir:
                await asyncio.to_thread(self._remove_work_dir, job.work_dir)
            await self.queue.set_stage(job.id, work_dir=None)
            log.info("job %s was running at the last stop: queued again", job.id)
        waiting = await self.queue.list(status="queued", limit=self.settings.max_queue_size)
        resumed_ids = {j.id for j in resumed}
        for job in sorted(waiting, key=lambda j: j.created_at):
            if job.id not in self._live:
                if job.id in resumed_ids:
                    job = replace(job, resumed=True)
                self._adopt_soon(job, "restart")
        self._pump_task = asyncio.create_task(self._pump(), name="pipeline-pump")
        return resumed

    def stopping(self) -> None:
        """The process is shutting down: jobs cancelled from now on are interrupted (they stay
        in the database for the next start or another worker), not cancelled or failed."""
        self._closing = True

    async def close(self) -> None:
        """Stop scheduling; stop running jobs (files cleaned up) but leave them in the database,
        so the next start resumes them."""
        self._closing = True
        if self._pump_task is not None:
            self._pump_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump_task
        tasks = []
        for live in list(self._live.values()):
            if live.adoption is not None and not live.adoption.done():
                live.adoption.cancel()
            if live.task is not None and not live.task.done():
                if live.cancel_reason is None:
                    live.cancel_reason = "shutdown"
                    live.task.cancel()
                tasks.append(live.task)
        if tasks:
            await asyncio.wait(tasks, timeout=_CLOSE_TIMEOUT)
        for live in list(self._live.values()):
            if live.task is None:
                job = await self._job(live.job_id)
                if job is not None:
                    # A dispatcher's jobs go on without it: the workers report to the users.
                    remote = self.role == "dispatcher"
                    self._settle(live, JobResult(job=job, outcome="interrupted", remote=remote))

    # -- public API --------------------------------------------------------------------------
    async def submit(
        self,
        request: JobRequest,
        *,
        attachment: Attachment | None = None,
        admin: bool = False,
        dispatch: bool = True,
    ) -> Job | AlreadyPosted:
        """Persist a job for ``request`` and queue it; returns at once.

        ``dispatch=False`` holds back a dispatcher's ticket until :meth:`dispatch` (the bot
        first notes the status message, so the worker edits it rather than posting its own).

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
        loop = asyncio.get_running_loop()
        async with self._lock:
            job = await self.queue.enqueue(request.to_spec())
            self._live[job.id] = _Live(job.id, request, attachment, loop.create_future())
        if dispatch:
            await self.dispatch(job.id)
        self._wake.set()
        return job

    async def dispatch(self, job_id: str) -> None:
        """Get a queued job run: a dispatcher sends its arq ticket; embedded mode's scheduler
        is simply woken. A failed ticket is not an error: the workers' reconciliation sends
        one for every queued job that lacks one (e.g. while Redis restarts)."""
        if self.dispatch_to is None:
            self._wake.set()
            return
        try:
            await self.dispatch_to.ticket(job_id)
        except Exception as exc:
            log.warning("job %s: no ticket sent (%s); the workers will pick it up", job_id, exc)

    async def wait(self, job_id: str) -> JobResult:
        """The result of a job this process holds (a cancelled job returns, it does not raise)."""
        live = self._live.get(job_id)  # a retried job's new run wins over its old result
        if live is not None:
            return await asyncio.shield(live.done)
        if job_id in self._results:
            return self._results[job_id]
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
        async with self._lock:
            job = await self.queue.cancel(job_id, by=by)
            live = self._live.get(job_id)
            if live is not None and job is not None and job.status == CANCELLED:
                if self.role == "dispatcher":
                    self._settle(live, _remote_result(job))  # its worker sees it within ~1 s
                else:
                    self._stop(live, job, "user")
        return job

    # -- worker role -------------------------------------------------------------------------
    async def run_claimed(self) -> JobResult | None:
        """Worker role, called by an arq ticket: claim the fair next job (any user's, so
        fairness holds across every worker), adopt it, run it. None when the queue is empty.

        Cancelling this coroutine (arq's job timeout, a worker shutdown) stops the job: a
        timeout fails it, a shutdown leaves it to :meth:`SqlJobQueue.release`.
        """
        assert self.role == "worker" and self.owner is not None
        async with self._lock:
            job = await self.queue.claim(
                owner=self.owner, lease_seconds=self.settings.worker_lease_seconds
            )
            if job is None:
                return None
            reason: AdoptReason = "restart" if job.resumed else (
                "retry" if job.attempts > 1 else "queued")  # fmt: skip
            live = self._adopt_soon(job, reason)
            live.task = asyncio.create_task(self._run(live, job), name=f"job-{job.id}")
        try:
            return await asyncio.shield(live.done)
        except asyncio.CancelledError:
            if live.task is not None and not live.task.done() and live.cancel_reason is None:
                live.cancel_reason = "shutdown" if self._closing else "timeout"
                live.task.cancel()
            raise

    async def renew_and_reclaim(self) -> list[Job]:
        """Put jobs whose worker died (lease expired) back in the queue, with their partial
        files removed when they are on this machine; returns them (each needs a ticket)."""
        jobs = await self.queue.reclaim_expired()
        for job in jobs:
            log.warning("job %s: its worker stopped renewing the lease; queued again", job.id)
            if job.work_dir:
                await asyncio.to_thread(self._remove_work_dir, job.work_dir)
        return jobs

    async def retry(self, job_id: str) -> Job | None:
        """A failed or cancelled job back in the queue; the host is asked where it goes."""
        job = await self.queue.retry(job_id)
        if job is None or job.status != "queued":
            return job
        if self.role == "dispatcher":
            await self.dispatch(job.id)  # the worker that takes it adopts it
        elif job.id not in self._live:
            self._adopt_soon(job, "retry")
            self._wake.set()
        return job

    async def set_priority(self, job_id: str, priority: int) -> Job | None:
        job = await self.queue.set_priority(job_id, priority)
        self._wake.set()
        return job

    async def note_status_message(self, job_id: str, message_id: int) -> None:
        """Remember the status message, so a restart can edit it instead of posting anew."""
        await self.queue.set_stage(job_id, status_message_id=message_id)

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
        return [
            j for j, live in self._live.items() if live.task is not None and not live.task.done()
        ]

    def is_running(self, job_id: str) -> bool:
        live = self._live.get(job_id)
        return live is not None and live.task is not None and not live.task.done()

    def work_dirs(self) -> set[Path]:
        """The directories of the jobs this process holds (clean-up must not touch them)."""
        return {self._work_dir(job_id) for job_id in self._live}

    # -- scheduling --------------------------------------------------------------------------
    async def _pump(self) -> None:
        """Claim jobs while slots are free; every POLL_SECONDS look for cancels made elsewhere
        and announce changed positions. Woken early by submits, finishes and retries."""
        loop = asyncio.get_running_loop()
        next_watch = next_renew = 0.0
        while not self._closing:
            self._wake.clear()
            try:
                if self.role == "embedded":
                    await self._fill()
                if loop.time() >= next_watch:
                    next_watch = loop.time() + POLL_SECONDS
                    await self._watch()
                if self.role == "worker" and loop.time() >= next_renew:
                    next_renew = loop.time() + self.settings.worker_lease_seconds / 3
                    await self._renew()
                await self._announce()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not stop scheduling for good
                log.exception("scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)

    async def _fill(self) -> None:
        while not self._closing and len(self._downloading) < self.settings.max_concurrent_downloads:
            async with self._lock:
                job = await self.queue.claim()
                if job is None:
                    return
                live = self._live.get(job.id)
                if live is None:
                    live = self._adopt_soon(job, "retry" if job.attempts > 1 else "queued")
                self._downloading.add(job.id)
                live.position = None
                live.task = asyncio.create_task(self._run(live, job), name=f"job-{job.id}")

    async def _watch(self) -> None:
        """Cancel what the database says is over (``bossctl queue cancel``)."""
        if not self._live:
            return
        asked = list(self._live)
        statuses = await self.queue.statuses(asked)
        async with self._lock:
            for job_id in asked:  # a job submitted during the read is looked at next time
                live = self._live.get(job_id)
                if live is None:
                    continue
                status = statuses.get(job_id)
                if self.role == "dispatcher" and status in ACTIVE_CLAIMED and not live.handed:
                    live.handed = True
                    self._emit(Stage("handed_over", job_id), live)
                if live.finishing or (status is not None and status not in FINAL_STATUSES):
                    continue
                job = await self._job(job_id)
                if job is None:
                    continue
                if self.role == "dispatcher":
                    self._settle(live, _remote_result(job))  # a worker ran it, or it was cancelled
                    continue
                log.info("job %s is %s in the database: stopping it here", job_id, status)
                self._stop(live, job, "external")

    async def _renew(self) -> None:
        """Worker role: renew the leases of the jobs running here. A job whose lease was lost
        (this worker stalled past it and another took the job over) is stopped without writing
        anything: it belongs to the other worker now."""
        running = [j for j, live in self._live.items() if live.task is not None]
        if not running:
            return
        assert self.owner is not None
        held = await self.queue.renew(self.owner, running, self.settings.worker_lease_seconds)
        for job_id in running:
            live = self._live.get(job_id)
            if job_id in held or live is None or live.finishing:
                continue
            job = await self._job(job_id)
            if job is not None and job.active:
                log.warning("job %s: lease lost; another worker has it now", job_id)
                self._stop(live, job, "lost")

    async def _announce(self) -> None:
        if self.role == "dispatcher":
            # The position shown when the job was queued stays: a later edit from here could
            # land after the worker's own (it takes the message over when it starts the job).
            return
        waiting = [
            live for live in self._live.values()
            if live.task is None and live.attachment.on_stage is not None
        ]  # fmt: skip
        if not waiting:
            return
        positions = await self.queue.positions()
        for live in waiting:
            pos = positions.get(live.job_id)
            if pos is not None and pos != live.position:
                live.position = pos
                self._emit(Stage("queued", live.job_id, position=pos))

    def _stop(self, live: _Live, job: Job, reason: str) -> None:
        """Cancel a held job's task, or settle it at once when it never started."""
        if live.task is not None:
            if not live.task.done() and live.cancel_reason is None:
                live.cancel_reason = reason
                live.task.cancel()
        else:
            if live.adoption is not None and not live.adoption.done():
                live.adoption.cancel()
            self._settle(live, JobResult(job=job, outcome="cancelled"))

    def _adopt_soon(self, job: Job, reason: AdoptReason) -> _Live:
        """Hold a job this process did not submit, and ask the host about it (in a task)."""
        live = self._live.get(job.id)
        if live is None:
            loop = asyncio.get_running_loop()
            live = _Live(job.id, JobRequest.from_job(job), Attachment(), loop.create_future())
            self._live[job.id] = live
            self._results.pop(job.id, None)  # the result of an earlier run of a retried job
        if self.host is not None and live.adoption is None:
            live.adoption = asyncio.create_task(
                self._adopt(live, job, reason), name=f"adopt-{job.id}"
            )
        return live

    async def _adopt(self, live: _Live, job: Job, reason: AdoptReason) -> None:
        assert self.host is not None
        try:
            attachment = await self.host.adopt(job, live.request, reason)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s: the host could not take it", job.id)
            return
        if attachment is not None:
            live.attachment = attachment

    def _settle(self, live: _Live, result: JobResult) -> None:
        self._live.pop(live.job_id, None)
        self._downloading.discard(live.job_id)
        self._results[live.job_id] = result
        while len(self._results) > _KEEP_RESULTS:
            self._results.popitem(last=False)
        self._emit(Stage(result.outcome, live.job_id), live)
        if not live.done.done():
            live.done.set_result(result)
        self._wake.set()

    async def _run(self, live: _Live, job: Job) -> None:
        try:
            # Every log line of this job carries its id, guild, platform and stage.
            with job_context(job.id, guild_id=job.guild_id, platform=job.platform, stage="start"):
                result = await self._execute(live, job)
        finally:
            self._release(job.id)
        self._settle(live, result)

    def _release(self, job_id: str) -> None:
        """The job's download slot is free (after its download, or when it ends)."""
        if job_id in self._downloading:
            self._downloading.discard(job_id)
            self._wake.set()

    # -- one job -----------------------------------------------------------------------------
    async def _execute(self, live: _Live, job: Job) -> JobResult:
        started = time.monotonic()
        request = live.request
        result = JobResult(job=job, outcome="failed")
        meter = JobMeter(platform=job.platform, guild_id=job.guild_id)
        work = self._work_dir(job.id)
        keep_work = False
        outcome: str | None = None
        try:
            if live.adoption is not None:
                await asyncio.shield(live.adoption)
            uploader = live.attachment.uploader
            if request.upload and uploader is None:
                raise UploadError(
                    f"job {job.id}: no uploader (channel {job.channel_id})",
                    user_message="I could not reach the channel this job was asked in.",
                )
            await self.queue.set_stage(job.id, "downloading", work_dir=str(work))
            await asyncio.to_thread(_fresh_dir, work)
            meta = await self._download(job, request, work, meter)
            self._release(job.id)
            result.metadata = meta
            if not request.upload or uploader is None:
                await self._keep(meta, job, result)
            else:
                await self._deliver(job, request, meta, work, uploader, result, meter)
                if self.settings.upload_cleanup_after_success:
                    keep_work = False
                else:
                    keep_work = True
                    result.saved_to = work
            live.finishing = True
            result.outcome, outcome = "done", SUCCESS
            await self.queue.complete(job.id)
        except asyncio.CancelledError:
            _uncancel()
            if live.cancel_reason in ("shutdown", "lost"):
                # Stays running in the database: resumed by the next start, the release of a
                # stopping worker, or (lost) it already belongs to another worker.
                result.outcome = "interrupted"
                log.info("job %s interrupted (%s)", job.id, live.cancel_reason)
            elif live.cancel_reason == "timeout":
                live.finishing = True
                limit = self.settings.worker_job_timeout_seconds
                error = BossBotError(f"job timeout after {limit} s",
                                     user_message=f"The job took longer than {limit} s and was "
                                     "stopped.")  # fmt: skip
                error.code = "timeout"
                result.error, outcome = error, "timeout"
                await self.queue.fail(job.id, "timeout", error.user_message)
            else:
                live.finishing = True
                result.outcome, outcome = "cancelled", "cancelled"
                await self.queue.cancel(job.id)  # no-op when already cancelled (first wins)
                log.info("job %s cancelled", job.id)
        except BossBotError as exc:
            result.error, outcome = exc, exc.code
            live.finishing = True
            if isinstance(exc, UploadError) and result.metadata is not None and work.exists():
                await self._keep(result.metadata, job, result)  # keep what was downloaded
            await self.queue.fail(job.id, exc.code, exc.user_message)
            log.warning("job %s failed: %s: %s", job.id, exc.code, exc)
        except Exception as exc:  # a bug: the job fails with a reference, the pump goes on
            log.exception("job %s crashed", job.id)
            error = BossBotError(f"internal error: {exc!r}",
                                 user_message="Something went wrong on my side.")  # fmt: skip
            error.code = "internal"
            result.error, outcome = error, "internal"
            live.finishing = True
            await self.queue.fail(job.id, "internal", error.user_message)
        finally:
            if not keep_work:
                await asyncio.to_thread(paths.remove_tree, work)
            result.seconds = time.monotonic() - started
        if outcome is not None:
            try:
                metrics = meter.metrics(job.id, outcome)
                telemetry.observe_job(metrics)
                await self.store.metrics.record(metrics)
            except Exception:
                log.exception("job %s: could not record its metrics", job.id)
        result.job = await self._job(job.id) or job
        return result

    async def _download(
        self, job: Job, request: JobRequest, work: Path, meter: JobMeter
    ) -> MediaMetadata:
        self._emit(Stage("downloading", job.id))

        def relay(event: ProgressEvent) -> None:
            BUS.progress(job.id, event)
            if event.status == STATUS_DOWNLOADING:
                self._emit(
                    Stage(
                        "downloading",
                        job.id,
                        done_bytes=event.downloaded_bytes,
                        total_bytes=event.total_bytes,
                        speed=event.speed,
                        filename=event.filename,
                    )
                )

        started = time.monotonic()
        set_log_stage("downloading")
        try:
            with telemetry.active_download():
                meta = await self.manager.download(
                    request.url, dest=work, options=request.options, on_progress=relay
                )
        finally:
            meter.download_seconds = time.monotonic() - started
        meter.method = meta.download_method
        meter.bytes_downloaded = meta.size_bytes
        return meta

    async def _keep(self, meta: MediaMetadata, job: Job, result: JobResult) -> None:
        """Move the downloaded files into the archive (deduplicated) and say where."""
        archived: list[ArchivedFile] = await self.archive.store(meta, job.id)
        result.saved_files = [a.path for a in archived]
        result.duplicates = sum(1 for a in archived if a.duplicate)
        result.saved_to = archived[0].path.parent if archived else None
        if not result.files:
            result.files = [FileReport(a.path.name, a.size_bytes, a.size_bytes, "unchanged")
                            for a in archived]  # fmt: skip

    async def _deliver(
        self,
        job: Job,
        request: JobRequest,
        meta: MediaMetadata,
        work: Path,
        uploader: Uploader,
        result: JobResult,
        meter: JobMeter,
    ) -> None:
        guild = job.guild_id
        limit = await self.limits.effective(guild, uploader.file_limit)
        reports: dict[Path, FileReport] = {}
        dims: dict[Path, tuple[int | None, int | None, float | None]] = {}
        if len(meta.files) == 1:
            data = meta.platform_data or {}
            dims[meta.files[0].path] = (_opt_int(data.get("width")),
                                        _opt_int(data.get("height")), meta.duration)  # fmt: skip
        # Run again (a crash, another worker, a retry): what was posted stays posted.
        earlier = [f for f in await self.store.history.files(job.id) if f.message_id is not None]
        posted_names = {Path(f.path).name for f in earlier}
        if earlier:
            result.messages = max(job.posted_batches, len({f.message_id for f in earlier}))
            result.jump_url = earlier[0].jump_url
        outs = [_as_out(f) for f in meta.files if f.path.name not in posted_names]
        pending = await self._fit(job, outs, limit, work, reports, dims, meter)
        if posted_names:
            skipped = [f for f in pending if f.name in posted_names]
            pending = [f for f in pending if f.name not in posted_names]
            result.posted += len(earlier)
            log.info("job %s: %d file(s) were posted by an earlier run; %d left (%d skipped)",
                     job.id, len(earlier), len(pending), len(skipped))  # fmt: skip
        retried = False
        while pending:
            batches = self._plan(pending, limit, request.one_file_per_message)
            total = result.messages + len(batches)
            batch: tuple[OutFile, ...] = ()
            try:
                for batch in batches:
                    index = result.messages + 1
                    await self.queue.set_stage(
                        job.id, f"uploading {index}/{total}", status=UPLOADING
                    )
                    self._emit(Stage("uploading", job.id, batch=index, batches=total))
                    sent_at = time.monotonic()
                    posted = await uploader.send(
                        UploadBatch(index, total, tuple(batch), meta.url, meta.title,
                                    nonce=batch_nonce(job.id, batch))
                    )  # fmt: skip
                    meter.uploaded(sum(f.size_bytes for f in batch), time.monotonic() - sent_at)
                    result.messages += 1
                    result.posted += len(batch)
                    if posted is not None and result.jump_url is None:
                        result.jump_url = posted.jump_url
                    await self._record_posted(job, batch, posted, reports, dims)
                    await self.queue.set_stage(job.id, posted_batches=result.messages)
                    sent = {f.path for f in batch}
                    pending = [f for f in pending if f.path not in sent]
            except UploadTooLargeError as exc:
                refused = max(f.size_bytes for f in batch)
                if retried:
                    raise UploadTooLargeError(
                        f"refused again at a limit of {limit} B: {exc}",
                        user_message="Discord refused the files as too large even after I "
                        f"shrank them to {_mib(limit)}; this server's real upload limit is "
                        "lower than it says.",
                    ) from exc
                retried = True
                telemetry.discord_413()
                telemetry.discord_retry("too_large")
                limit = await self.limits.lower(guild, refused, limit)
                self._emit(Stage("compressing", job.id, note=f"retrying at {_mib(limit)}"))
                pending = await self._fit(job, pending, limit, work, reports, dims, meter)
        result.files = list(reports.values())
        result.limit_bytes = limit
        if result.messages:
            await self.store.history.record_post(
                request.media_key, job.guild_id, job.id, result.jump_url
            )

    async def _record_posted(
        self,
        job: Job,
        batch: Sequence[OutFile],
        posted: Posted | None,
        reports: dict[Path, FileReport],
        dims: dict[Path, tuple[int | None, int | None, float | None]],
    ) -> None:
        rows = []
        for f in batch:
            d = await asyncio.to_thread(digest, f.path)
            report = reports.get(f.source)
            width, height, duration = dims.get(f.path, (None, None, None))
            rows.append(
                StoredFile(
                    path=str(f.path),
                    size_bytes=f.size_bytes,
                    sha256=d.sha256,
                    mime_type=file_type_for(f.path)[1],
                    width=width,
                    height=height,
                    duration=duration,
                    compressed_from_bytes=(
                        report.original_bytes if report is not None and report.compressed
                        else None
                    ),
                    message_id=posted.message_id if posted else None,
                    jump_url=posted.jump_url if posted else None,
                )
            )  # fmt: skip
        await self.store.history.add_files(job.id, rows)

    def _plan(
        self, files: list[OutFile], limit: int, one_per_message: bool
    ) -> list[tuple[OutFile, ...]]:
        per_message = min(self.settings.upload_max_files_per_batch, MAX_ATTACHMENTS_PER_MESSAGE)
        cap = self.settings.upload_batch_size_bytes
        groups: list[list[OutFile]] = []
        for f in files:  # one group per source when posting file by file (split parts stay)
            if one_per_message and groups and groups[-1][0].source == f.source:
                groups[-1].append(f)
            elif one_per_message or not groups:
                groups.append([f])
            else:
                groups[-1].append(f)
        return [
            batch
            for group in groups
            for batch in plan_batches(
                group,
                max_files_per_message=per_message,
                max_bytes_per_message=cap,
                max_bytes_per_file=limit,
            )
        ]

    async def _fit(
        self,
        job: Job,
        files: Sequence[OutFile],
        limit: int,
        work: Path,
        reports: dict[Path, FileReport],
        dims: dict[Path, tuple[int | None, int | None, float | None]],
        meter: JobMeter,
    ) -> list[OutFile]:
        """Every file under ``limit`` (and the per-message cap): compressed or split if not."""
        cap = self.settings.upload_batch_size_bytes
        target = min(limit, cap) if cap else limit
        out: list[OutFile] = []
        for f in files:
            reports.setdefault(
                f.source, FileReport(f.source.name, f.size_bytes, f.size_bytes, "unchanged")
            )
            if f.size_bytes <= target:
                out.append(f)
                continue
            # Whole files are re-encoded from the download (best quality); parts from themselves.
            src = f.source if f.part is None and f.source.exists() else f.path
            await self.queue.set_stage(job.id, "compressing")
            self._emit(Stage("compressing", job.id, percent=0.0, filename=src.name))

            def relay(event: ProgressEvent, name: str = src.name) -> None:
                BUS.progress(job.id, event)
                if event.status == STATUS_COMPRESSING and event.fraction is not None:
                    self._emit(
                        Stage("compressing", job.id, percent=event.fraction * 100, filename=name)
                    )

            set_log_stage("compressing")
            # (boss_active_encodes is kept by compress_to_fit once it holds an encode slot)
            fitted = await compress_to_fit(
                src,
                target,
                dest_dir=work / f".fit-{target}",
                settings=self.settings,
                on_progress=relay,
                allow_split=self.settings.upload_allow_split,
            )
            meter.compressed(fitted.original_bytes, fitted.final_bytes, fitted.elapsed_seconds)
            n = len(fitted.paths)
            for i, p in enumerate(fitted.paths, 1):
                dims[p] = (fitted.width, fitted.height, fitted.duration_seconds if n == 1 else None)
                out.append(
                    OutFile(
                        p,
                        p.stat().st_size,
                        f.source,
                        part=i if n > 1 else f.part,
                        parts=n if n > 1 else f.parts,
                    )
                )
            old = reports[f.source]
            produced = [o for o in out if o.source == f.source]
            reports[f.source] = replace(
                old,
                final_bytes=sum(o.size_bytes for o in produced),
                method=fitted.method,
                parts=max(n, len(produced)),
            )
        return out

    # -- files -------------------------------------------------------------------------------
    def _work_dir(self, job_id: str) -> Path:
        """The job's own directory: its ``work_dir`` in the database, removed after a crash."""
        return self.settings.requests_dir.resolve() / f"job-{job_id}"

    def _remove_work_dir(self, recorded: str) -> None:
        """Remove a crashed run's directory, but only one below the requests directory (the
        database is not trusted to name what gets deleted)."""
        root = self.settings.requests_dir
        try:
            target = paths.ensure_inside(root, Path(recorded))
        except UnsafePathError:
            log.warning("not removing %s: outside %s", recorded, root)
            return
        if target != root.resolve():
            paths.remove_tree(target)

    async def _job(self, job_id: str) -> Job | None:
        try:
            return await self.queue.get(job_id)
        except Exception:
            log.exception("could not read job %s", job_id)
            return None

    # -- stages ------------------------------------------------------------------------------
    def _emit(self, stage: Stage, live: _Live | None = None) -> None:
        publish_stage(stage)  # the HTTP API's live progress (SSE) hears every stage
        live = live or self._live.get(stage.job_id)
        listener = live.attachment.on_stage if live is not None else None
        if listener is None:
            return
        try:
            listener(stage)
        except Exception:  # a broken status message must not break the job
            log.exception("stage listener for job %s failed", stage.job_id)


def batch_nonce(job_id: str, batch: Sequence[OutFile]) -> str:
    """At most 25 characters (Discord's limit): the job id and a digest of the file names."""
    names = "\x00".join(f.name for f in batch).encode()
    return f"{job_id[:12]}{hashlib.sha1(names, usedforsecurity=False).hexdigest()[:12]}"


def _remote_result(job: Job) -> JobResult:
    """A dispatcher's view of a job that ended elsewhere. A job that never started (cancelled
    while queued) is still the dispatcher's to report; one a worker ran was reported by it."""
    outcome: Outcome = {"succeeded": "done", "cancelled": "cancelled"}.get(job.status, "failed")  # type: ignore[assignment]
    return JobResult(job=job, outcome=outcome, remote=job.started_at is not None)


def _fresh_dir(path: Path) -> None:
    paths.remove_tree(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.mkdir(mode=0o700)


def _uncancel() -> None:
    """We caught our own task's cancellation to clean up: let the clean-up's awaits run."""
    task = asyncio.current_task()
    if task is not None:
        while task.cancelling():
            task.uncancel()


def _as_out(f: MediaFile) -> OutFile:
    return OutFile(f.path, f.size_bytes, f.path)


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


__all__ = [
    "AdoptReason",
    "AlreadyPosted",
    "Attachment",
    "FileReport",
    "JobHost",
    "JobRequest",
    "JobResult",
    "LimitBook",
    "OutFile",
    "Pipeline",
    "Posted",
    "Stage",
    "StageCallback",
    "UploadBatch",
    "UploadError",
    "UploadTooLargeError",
    "Uploader",
]
