"""How the next job is picked, and how held jobs follow the database: the *pump*.

One task per pipeline loops until the pipeline closes. Each tick, by role:

* **claim** (embedded): while fewer than ``MAX_CONCURRENT_DOWNLOADS`` jobs are downloading,
  ``queue.claim()`` the next job in fair order (round-robin across users, then priority, then
  age; see :mod:`boss_bot.core.store.fairness`) and start it. Compression and uploads hold no
  download slot, so a slow upload never stalls the queue.
* **watch** (every role, every ``POLL_SECONDS``): read the status of every held job; one that
  is over in the database (``bossctl queue cancel``, another process) is stopped here. A
  dispatcher learns here that a worker claimed its job (``handed_over``) or finished it.
* **renew** (worker, every third of the lease): extend the leases of the jobs running here;
  a job whose lease was lost belongs to another worker now and is stopped without a write.
* **announce** (embedded, worker): tell waiting jobs their new queue position.
* **stalls** (every ``STALL_CHECK_SECONDS``): a job running here that stayed in one stage
  longer than it allows (:mod:`boss_bot.core.jobs.stall`) is logged once per stage and counted
  (``boss_jobs_stalled_total``, ``boss_jobs_stalled_now``). A job left ``preparing`` by a
  dispatcher that died before it was ready is opened to claims.

Woken early by submits, finishes and retries (:attr:`HeldJobs.wake`). A failing tick (a
database hiccup) is logged and the next one tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from boss_bot.core.jobs import FINAL_STATUSES, PREPARING_GRACE_SECONDS, read_job, stalled_for
from boss_bot.core.pipeline.held import Held, HeldJobs
from boss_bot.core.pipeline.types import AdoptReason, JobResult, Role, Stage

if TYPE_CHECKING:
    from boss_bot.core.jobs import Job, JobQueue
    from boss_bot.core.settings import BossSettings
    from boss_bot.core.telemetry import Telemetry

log = logging.getLogger(__name__)

#: Statuses of a job some process has claimed.
ACTIVE_CLAIMED = ("running", "uploading")
#: Seconds between two looks at the database for cancels made elsewhere and new positions.
POLL_SECONDS = 1.0
#: Seconds between two looks for stalled jobs.
STALL_CHECK_SECONDS = 10.0

#: Starts a claimed job's task (the pipeline's job runner).
StartJob = Callable[[Held, "Job"], None]
#: Holds a job this process did not submit (:meth:`Adopter.adopt_soon`).
AdoptJob = Callable[["Job", AdoptReason], Held]


class Scheduler:
    """The pump: see the module docstring."""

    def __init__(
        self,
        settings: BossSettings,
        queue: JobQueue,
        held: HeldJobs,
        *,
        role: Role,
        owner: str | None,
        start_job: StartJob,
        adopt: AdoptJob,
        telemetry: Telemetry,
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.held = held
        self.role = role
        self.owner = owner
        self._start_job = start_job
        self._adopt = adopt
        self.telemetry = telemetry
        self.closing = False
        #: (job id, stage) already reported as stalled: each is logged and counted once.
        self._stalls_told: set[tuple[str, str]] = set()

    async def pump(self) -> None:
        """Claim, watch, renew and announce until :attr:`closing` (see the module docstring)."""
        loop = asyncio.get_running_loop()
        next_watch = next_renew = 0.0
        next_stalls = loop.time() + STALL_CHECK_SECONDS
        while not self.closing:
            self.held.wake.clear()
            try:
                if self.role == "embedded":
                    await self.fill()
                if loop.time() >= next_watch:
                    next_watch = loop.time() + POLL_SECONDS
                    await self.watch()
                if self.role == "worker" and loop.time() >= next_renew:
                    next_renew = loop.time() + self.settings.worker_lease_seconds / 3
                    await self.renew()
                await self.announce()
                if loop.time() >= next_stalls:
                    next_stalls = loop.time() + STALL_CHECK_SECONDS
                    await self.check_stalls()
                    await self.open_abandoned()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not stop scheduling for good
                log.exception("scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.held.wake.wait(), POLL_SECONDS)

    async def fill(self) -> None:
        """Claim jobs in fair order while download slots are free."""
        held = self.held
        while not self.closing and len(held.downloading) < self.settings.max_concurrent_downloads:
            async with held.lock:
                job = await self.queue.claim()
                if job is None:
                    return
                entry = held.get(job.id)
                if entry is None:
                    entry = self._adopt(job, "retry" if job.attempts > 1 else "queued")
                held.downloading.add(job.id)
                entry.position = None
                self._start_job(entry, job)

    async def watch(self) -> None:
        """Stop what the database says is over (``bossctl queue cancel``, another process)."""
        if not self.held.live:
            return
        asked = list(self.held.live)
        statuses = await self.queue.statuses(asked)
        async with self.held.lock:
            for job_id in asked:  # a job submitted during the read is looked at next time
                entry = self.held.get(job_id)
                if entry is None:
                    continue
                status = statuses.get(job_id)
                if self.role == "dispatcher" and status in ACTIVE_CLAIMED and not entry.handed:
                    entry.handed = True
                    self.held.emit(Stage("handed_over", job_id), entry)
                if entry.finishing or (status is not None and status not in FINAL_STATUSES):
                    continue
                job = await read_job(self.queue, job_id)
                if job is None:
                    continue
                if self.role == "dispatcher":  # a worker ran it, or it was cancelled
                    self.held.settle(entry, JobResult.ended_elsewhere(job))
                    continue
                log.info("job %s is %s in the database: stopping it here", job_id, status)
                self.held.stop(entry, job, "external")

    async def renew(self) -> None:
        """Worker role: renew the leases of the jobs running here. A job whose lease was lost
        (this worker stalled past it and another took the job over) is stopped without writing
        anything: it belongs to the other worker now."""
        running = [j for j, entry in self.held.live.items() if entry.task is not None]
        if not running:
            return
        assert self.owner is not None
        held = await self.queue.renew(self.owner, running, self.settings.worker_lease_seconds)
        for job_id in running:
            entry = self.held.get(job_id)
            if job_id in held or entry is None or entry.finishing:
                continue
            job = await read_job(self.queue, job_id)
            if job is not None and job.active:
                log.warning("job %s: lease lost; another worker has it now", job_id)
                self.held.stop(entry, job, "lost")

    async def open_abandoned(self) -> None:
        """Jobs ``preparing`` past the grace: their dispatcher died before it was ready (the
        status message it meant to note is the one thing lost: the worker posts its own)."""
        opened = await self.queue.mark_stale_ready(PREPARING_GRACE_SECONDS)
        if opened:
            log.warning("%d job(s) left preparing by a dispatcher are open to claims", opened)
            self.held.wake.set()

    async def check_stalls(self) -> None:
        """Report the jobs running here that stay too long in one stage (see the docstring)."""
        running = [job_id for job_id, entry in self.held.live.items() if entry.task is not None]
        stalled = 0
        now = time.time()
        for job_id in running:
            job = await read_job(self.queue, job_id)
            over = stalled_for(job, now, self.settings) if job is not None else None
            if job is None or over is None:
                continue
            stalled += 1
            if (job_id, job.stage) not in self._stalls_told:
                self._stalls_told.add((job_id, job.stage))
                stage = job.stage.split(" ", 1)[0]
                self.telemetry.jobs_stalled_total.labels(stage).inc()
                log.warning("job %s stalled: no change in stage %r for %.0f s longer than it "
                            "allows", job_id, job.stage, over)  # fmt: skip
        self.telemetry.jobs_stalled.set(stalled)
        self._stalls_told = {told for told in self._stalls_told if told[0] in self.held.live}

    async def announce(self) -> None:
        """Tell waiting jobs (those with a listener) their changed queue positions."""
        if self.role == "dispatcher":
            # The position shown when the job was queued stays: a later edit from here could
            # land after the worker's own (it takes the message over when it starts the job).
            return
        waiting = [
            entry for entry in self.held.live.values()
            if entry.task is None and entry.attachment.on_stage is not None
        ]  # fmt: skip
        if not waiting:
            return
        positions = await self.queue.positions()
        for entry in waiting:
            pos = positions.get(entry.job_id)
            if pos is not None and pos != entry.position:
                entry.position = pos
                self.held.emit(Stage("queued", entry.job_id, position=pos))


__all__ = ["ACTIVE_CLAIMED", "POLL_SECONDS", "Scheduler"]
