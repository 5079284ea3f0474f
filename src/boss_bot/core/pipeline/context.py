"""What one run of one job carries from step to step (:class:`JobRun`).

Every step of a job (download, keep, fit, deliver) reads the job, its request and its private
directory, adds to its meter and its result, and reports stage changes. Passing one object
keeps each step's signature to what is particular to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from boss_bot.core.jobs import JobMeter
from boss_bot.core.pipeline.types import JobResult, Stage

if TYPE_CHECKING:
    from boss_bot.core.jobs import Job, JobRequest
    from boss_bot.core.links import KeptFile

#: Width, height and duration of a file to post, when known (recorded with the file).
Dims = tuple[int | None, int | None, float | None]


@dataclass
class JobRun:
    """One run of one job. ``emit`` reports a stage change (to the bus and the listener)."""

    job: Job
    request: JobRequest
    #: The job's own directory: created empty at the start, removed at the end.
    work: Path
    emit: Callable[[Stage], None]
    result: JobResult = field(init=False)
    meter: JobMeter = field(init=False)
    #: Known dimensions by path (from the tool's metadata, or the compressor's output).
    dims: dict[Path, Dims] = field(default_factory=dict)
    #: Files kept and posted as links (they could not fit, or the server wants links).
    linked: list[KeptFile] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.result = JobResult(job=self.job, outcome="failed")
        self.meter = JobMeter(platform=self.job.platform, guild_id=self.job.guild_id)

    @property
    def job_id(self) -> str:
        return self.job.id


__all__ = ["Dims", "JobRun"]
