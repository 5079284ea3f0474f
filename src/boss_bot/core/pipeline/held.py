"""The jobs this process holds, from submit (or adoption) until they settle.

One :class:`HeldJobs` per pipeline is the only mutable state the scheduler, the job runner and
the public API share: the held jobs, their download slots, the results kept for late waiters,
the lock that orders claims against submits and cancels, and the event that wakes the
scheduler. It also fans each :class:`Stage` out, to the job's listener and to the event bus.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from boss_bot.core.events import EventBus, publish_stage
from boss_bot.core.pipeline.types import Attachment, JobResult, Stage

if TYPE_CHECKING:
    from boss_bot.core.jobs import Job, JobRequest

log = logging.getLogger(__name__)

#: Finished jobs whose result can still be awaited with ``Pipeline.wait``.
KEEP_RESULTS = 256


@dataclass(eq=False)
class Held:
    """A job this process holds: submitted here, or adopted. Lives until the job settles."""

    job_id: str
    request: JobRequest
    attachment: Attachment
    done: asyncio.Future[JobResult]
    task: asyncio.Task[None] | None = None
    adoption: asyncio.Task[None] | None = None
    position: int | None = None
    #: Why its task was cancelled: "user", "external" (the database says so), "shutdown",
    #: "timeout" or "lost" (another worker took the lease over).
    cancel_reason: str | None = None
    #: Writing its final status: the watcher must not take that for a cancel made elsewhere.
    finishing: bool = False
    #: Dispatcher: a worker has claimed it (its status message is the worker's now).
    handed: bool = False

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()


class HeldJobs:
    """See the module docstring. Everything here runs on the event loop."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.live: dict[str, Held] = {}
        self.results: OrderedDict[str, JobResult] = OrderedDict()
        #: Jobs holding one of the MAX_CONCURRENT_DOWNLOADS slots (until their download ends).
        self.downloading: set[str] = set()
        #: Orders claim+hold against enqueue+hold against cancel.
        self.lock = asyncio.Lock()
        #: Set to make the scheduler look at once (a submit, a finish, a retry).
        self.wake = asyncio.Event()

    def hold(self, job_id: str, request: JobRequest, attachment: Attachment) -> Held:
        loop = asyncio.get_running_loop()
        held = Held(job_id, request, attachment, loop.create_future())
        self.live[job_id] = held
        self.results.pop(job_id, None)  # the result of an earlier run of a retried job
        return held

    def get(self, job_id: str) -> Held | None:
        return self.live.get(job_id)

    def running_ids(self) -> list[str]:
        return [job_id for job_id, held in self.live.items() if held.running]

    def release_slot(self, job_id: str) -> None:
        """The job's download slot is free (after its download, or when it ends)."""
        if job_id in self.downloading:
            self.downloading.discard(job_id)
            self.wake.set()

    def emit(self, stage: Stage, held: Held | None = None) -> None:
        """A stage change: to the event bus (SSE) and to the job's listener, if any."""
        publish_stage(stage, self.bus)
        held = held or self.live.get(stage.job_id)
        listener = held.attachment.on_stage if held is not None else None
        if listener is None:
            return
        try:
            listener(stage)
        except Exception:  # a broken status message must not break the job
            log.exception("stage listener for job %s failed", stage.job_id)

    def settle(self, held: Held, result: JobResult) -> None:
        """The job is over here: drop it, keep its result, tell its listener and waiters."""
        self.live.pop(held.job_id, None)
        self.downloading.discard(held.job_id)
        self.results[held.job_id] = result
        while len(self.results) > KEEP_RESULTS:
            self.results.popitem(last=False)
        self.emit(Stage(result.outcome, held.job_id), held)
        if not held.done.done():
            held.done.set_result(result)
        self.wake.set()

    def stop(self, held: Held, job: Job, reason: str) -> None:
        """Cancel a held job's task, or settle it at once when it never started."""
        if held.task is not None:
            if not held.task.done() and held.cancel_reason is None:
                held.cancel_reason = reason
                held.task.cancel()
        else:
            if held.adoption is not None and not held.adoption.done():
                held.adoption.cancel()
            self.settle(held, JobResult(job=job, outcome="cancelled"))


def work_dir_for(requests_dir: Path, job_id: str) -> Path:
    """A job's own directory (recorded as its ``work_dir``; removed after a crash)."""
    return requests_dir.resolve() / f"job-{job_id}"


__all__ = ["KEEP_RESULTS", "Held", "HeldJobs", "work_dir_for"]
