"""What happens to one job once it is claimed, from its first step to its recorded outcome.

::

    wait for the host ─► fresh job dir ─► download ─► slot freed ─► screen (sensitive?)
      ─┬─► keep (archive only)
       └─► deliver (fit, plan, post)
      ─► complete │ cancelled │ interrupted │ timeout │ failed │ crashed
      ─► job dir removed (kept when UPLOAD_CLEANUP_AFTER_SUCCESS is off) ─► metrics recorded

The steps live beside this module (:mod:`.download`, :mod:`.fit`, :mod:`.deliver`); this one
runs them in order and turns however the run ended into the job's final status:

* **cancelled** by a user or elsewhere: the status says so (the first outcome wins);
* **interrupted** by a shutdown, or **lost** to another worker: nothing is written, the job
  stays running in the database for the next start, a stopping worker's release, or the
  worker that has it now;
* **timeout** (a worker's ticket ran out of time), **failed** (a :class:`BossBotError`, whose
  downloaded files are kept when only the upload failed), or **crashed** (a bug: the job
  fails with ``internal``, the scheduler goes on).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from boss_bot.core import paths
from boss_bot.core.errors import BossBotError, UploadError
from boss_bot.core.jobs import SUCCESS, read_job
from boss_bot.core.logs import job_context
from boss_bot.core.pipeline import download as steps
from boss_bot.core.pipeline.context import JobRun
from boss_bot.core.pipeline.deliver import Deliverer
from boss_bot.core.pipeline.held import Held, HeldJobs, work_dir_for
from boss_bot.core.pipeline.types import JobResult

if TYPE_CHECKING:
    from boss_bot.core.archive import Archive
    from boss_bot.core.jobs import Job, JobQueue
    from boss_bot.core.manager import DownloadManager
    from boss_bot.core.settings import BossSettings
    from boss_bot.core.store import Store
    from boss_bot.core.telemetry import Telemetry

log = logging.getLogger(__name__)


class JobRunner:
    """Runs claimed jobs for one pipeline; see the module docstring."""

    def __init__(
        self,
        settings: BossSettings,
        *,
        manager: DownloadManager,
        store: Store,
        queue: JobQueue,
        held: HeldJobs,
        archive: Archive,
        deliverer: Deliverer,
        telemetry: Telemetry,
    ) -> None:
        self.settings = settings
        self.manager = manager
        self.store = store
        self.queue = queue
        self.held = held
        self.archive = archive
        self.deliverer = deliverer
        self.telemetry = telemetry

    def start(self, held: Held, job: Job) -> None:
        """Run ``job`` in its own task (the scheduler and the worker role call this)."""
        held.task = asyncio.create_task(self._run(held, job), name=f"job-{job.id}")

    async def _run(self, held: Held, job: Job) -> None:
        try:
            # Every log line of this job carries its id, guild, platform and stage.
            with job_context(job.id, guild_id=job.guild_id, platform=job.platform, stage="start"):
                result = await self.execute(held, job)
        finally:
            self.held.release_slot(job.id)
        self.held.settle(held, result)

    async def execute(self, held: Held, job: Job) -> JobResult:
        """The steps in order, then the outcome recorded (see the module docstring)."""
        started = time.monotonic()
        run = JobRun(job, held.request, work_dir_for(self.settings.requests_dir, job.id),
                     lambda stage: self.held.emit(stage, held))  # fmt: skip
        result = run.result
        keep_work = False
        outcome: str | None = None
        try:
            keep_work = await self._steps(held, run)
            held.finishing = True
            result.outcome, outcome = "done", SUCCESS
            await self.queue.complete(job.id)
        except asyncio.CancelledError:
            _uncancel()
            outcome = await self._stopped(held, run)
        except BossBotError as exc:
            result.error, outcome = exc, exc.code
            held.finishing = True
            if isinstance(exc, UploadError) and result.metadata is not None and run.work.exists():
                await steps.keep(run, result.metadata, self.archive)  # keep what was downloaded
            await self.queue.fail(job.id, exc.code, exc.user_message)
            log.warning("job %s failed: %s: %s", job.id, exc.code, exc)
        except Exception as exc:  # a bug: the job fails with a reference, the pump goes on
            log.exception("job %s crashed", job.id)
            error = BossBotError(f"internal error: {exc!r}",
                                 user_message="Something went wrong on my side.")  # fmt: skip
            error.code = "internal"
            result.error, outcome = error, "internal"
            held.finishing = True
            await self.queue.fail(job.id, "internal", error.user_message)
        finally:
            if not keep_work:
                await asyncio.to_thread(paths.remove_tree, run.work)
            result.seconds = time.monotonic() - started
        if outcome is not None:
            await self._record_metrics(run, outcome)
        result.job = await read_job(self.queue, job.id) or job
        return result

    async def _steps(self, held: Held, run: JobRun) -> bool:
        """Download, then keep or deliver. True when the job directory is to be kept."""
        job, request, result = run.job, run.request, run.result
        if held.adoption is not None:
            await asyncio.shield(held.adoption)  # the host says where the files go
        uploader = held.attachment.uploader
        if request.upload and uploader is None:
            raise UploadError(
                f"job {job.id}: no uploader (channel {job.channel_id})",
                user_message="I could not reach the channel this job was asked in.",
            )
        await self.queue.set_stage(job.id, "downloading", work_dir=str(run.work))
        await asyncio.to_thread(_fresh_dir, run.work)
        meta = await steps.download(run, self.manager, self.held.bus, self.telemetry)
        self.held.release_slot(job.id)
        result.metadata = meta
        await steps.screen(run, meta, self.queue)
        if not request.upload or uploader is None:
            await steps.keep(run, meta, self.archive)
            return False
        await self.deliverer.deliver(run, meta, uploader)
        if self.settings.upload_cleanup_after_success:
            return False
        result.saved_to = run.work
        return True

    async def _stopped(self, held: Held, run: JobRun) -> str | None:
        """The job's task was cancelled: record why (see the module docstring)."""
        job, result = run.job, run.result
        if held.cancel_reason in ("shutdown", "lost"):
            # Stays running in the database: resumed by the next start, the release of a
            # stopping worker, or (lost) it already belongs to another worker.
            result.outcome = "interrupted"
            log.info("job %s interrupted (%s)", job.id, held.cancel_reason)
            return None
        held.finishing = True
        if held.cancel_reason == "timeout":
            limit = self.settings.worker_job_timeout_seconds
            error = BossBotError(f"job timeout after {limit} s",
                                 user_message=f"The job took longer than {limit} s and was "
                                 "stopped.")  # fmt: skip
            error.code = "timeout"
            result.error = error
            await self.queue.fail(job.id, "timeout", error.user_message)
            return "timeout"
        result.outcome = "cancelled"
        await self.queue.cancel(job.id)  # no-op when already cancelled (first wins)
        log.info("job %s cancelled", job.id)
        return "cancelled"

    async def _record_metrics(self, run: JobRun, outcome: str) -> None:
        try:
            metrics = run.meter.metrics(run.job_id, outcome)
            self.telemetry.observe_job(metrics)
            await self.store.metrics.record(metrics)
        except Exception:
            log.exception("job %s: could not record its metrics", run.job_id)


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


__all__ = ["JobRunner"]
