"""The job registry: which requests are queued, running and finished, behind a small interface.

The bot's ``status`` and ``cancel`` commands and the pipeline's queue positions read it. Today it
lives in memory (:class:`InMemoryJobRegistry`); the persistence issue stores it and a later one
shares it between processes, so everything outside this module uses only :class:`JobRegistry`.
Cancelling here records the intent; stopping the work that runs a job is the pipeline's part.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        return self in (JobState.QUEUED, JobState.RUNNING)


@dataclass(frozen=True)
class JobSpec:
    """What someone asked for. Ids are plain ints so no Discord type leaks into the core."""

    url: str
    owner_id: int
    kind: str = "download"
    channel_id: int | None = None
    guild_id: int | None = None


@dataclass(frozen=True)
class Job:
    """A snapshot of one job. Frozen: the registry hands out copies, never its own state."""

    id: str
    spec: JobSpec
    state: JobState = JobState.QUEUED
    stage: str = "queued"
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    cancelled_by: int | None = None

    @property
    def url(self) -> str:
        return self.spec.url

    @property
    def owner_id(self) -> int:
        return self.spec.owner_id


class JobRegistry(Protocol):
    """Everything the pipeline and the commands need from job storage."""

    def enqueue(self, spec: JobSpec) -> Job:
        """Record a new queued job and return it (with its short id)."""
        ...

    def claim(self, job_id: str) -> Job | None:
        """queued → running. None when the job is no longer queued (e.g. cancelled)."""
        ...

    def set_stage(self, job_id: str, stage: str) -> None:
        """Note what a running job is doing (shown by ``status``)."""
        ...

    def complete(self, job_id: str) -> Job:
        """running → done."""
        ...

    def fail(self, job_id: str, code: str, message: str) -> Job:
        """→ failed, with the error's code and user message."""
        ...

    def cancel(self, job_id: str, by: int | None = None) -> Job | None:
        """→ cancelled if still active; returns the job (None when unknown)."""
        ...

    def get(self, job_id: str) -> Job | None: ...

    def list(self, *, owner_id: int | None = None, active: bool = True) -> Sequence[Job]:
        """Jobs in creation order, optionally only one owner's and only active ones."""
        ...

    def position(self, job_id: str) -> int | None:
        """1-based place among queued jobs (None when not queued)."""
        ...


class InMemoryJobRegistry:
    """:class:`JobRegistry` in a dict. Finished jobs are kept up to ``keep_finished``."""

    def __init__(self, *, keep_finished: int = 200) -> None:
        self._jobs: dict[str, Job] = {}
        self._keep_finished = keep_finished
        self._seq = itertools.count(1)

    def _new_id(self) -> str:
        # Short enough to type after `$cancel`, random enough not to be guessed in a busy guild.
        while True:
            job_id = f"{next(self._seq) % 1000:03d}{secrets.token_hex(2)}"
            if job_id not in self._jobs:
                return job_id

    def enqueue(self, spec: JobSpec) -> Job:
        job = Job(id=self._new_id(), spec=spec)
        self._jobs[job.id] = job
        self._trim()
        return job

    def claim(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        if job is None or job.state is not JobState.QUEUED:
            return None
        return self._put(
            replace(job, state=JobState.RUNNING, stage="starting", started_at=time.time())
        )

    def set_stage(self, job_id: str, stage: str) -> None:
        job = self._jobs.get(job_id)
        if job is not None and job.state.active:
            self._jobs[job_id] = replace(job, stage=stage)

    def complete(self, job_id: str) -> Job:
        return self._finish(job_id, JobState.DONE)

    def fail(self, job_id: str, code: str, message: str) -> Job:
        return self._finish(job_id, JobState.FAILED, error_code=code, error_message=message)

    def cancel(self, job_id: str, by: int | None = None) -> Job | None:
        job = self._jobs.get(job_id)
        if job is None or not job.state.active:
            return job
        return self._finish(job_id, JobState.CANCELLED, cancelled_by=by)

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def list(self, *, owner_id: int | None = None, active: bool = True) -> list[Job]:
        return [
            j
            for j in self._jobs.values()
            if (owner_id is None or j.owner_id == owner_id) and (not active or j.state.active)
        ]

    def position(self, job_id: str) -> int | None:
        queued = [j.id for j in self._jobs.values() if j.state is JobState.QUEUED]
        return queued.index(job_id) + 1 if job_id in queued else None

    # -- internals -------------------------------------------------------------------------
    def _put(self, job: Job) -> Job:
        self._jobs[job.id] = job
        return job

    def _finish(self, job_id: str, state: JobState, **changes: object) -> Job:
        job = self._jobs[job_id]
        if not job.state.active:
            return job  # first outcome wins (a cancel racing a completion, say)
        return self._put(
            replace(job, state=state, stage=state.value, finished_at=time.time(), **changes)  # type: ignore[arg-type]
        )

    def _trim(self) -> None:
        finished = [j.id for j in self._jobs.values() if not j.state.active]
        for job_id in finished[: max(0, len(finished) - self._keep_finished)]:
            del self._jobs[job_id]


__all__ = ["InMemoryJobRegistry", "Job", "JobRegistry", "JobSpec", "JobState"]
