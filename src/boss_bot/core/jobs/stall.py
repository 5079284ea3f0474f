"""When is a job stalled? When it has not changed stage for longer than its stage allows.

Every stage change is written with its time (``jobs.stage_at``), so any process can tell: the
scheduler of the process running the job (it logs the stall once and counts it in
``boss_jobs_stalled_total``; ``boss_jobs_stalled`` is how many are stalled now) and
``bossctl queue list`` (it marks them ``stalled``). What each stage may take:

* ``starting``: a claimed job's first step, a moment: ``STALL_SECONDS``;
* ``downloading``: every attempt's ``DOWNLOAD_TIMEOUT_SECONDS``, the backoffs between them, and
  a minute for checking the files;
* ``compressing`` (each file starts the clock again), ``uploading i/n`` (each message too) and
  any other stage: ``STALL_SECONDS``.

A queued job is waiting, not stalled. A stalled job is only reported: its download, encode and
upload each have their own limits, which stop it; a stall is a state nobody's limit covers
(a hang), and the operator is told so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from boss_bot.core.jobs.job import RUNNING, UPLOADING

if TYPE_CHECKING:
    from boss_bot.core.jobs.job import Job
    from boss_bot.core.settings import BossSettings


def allowance(stage: str, settings: BossSettings) -> float:
    """How long a job may stay in ``stage`` without a change (seconds)."""
    if stage == "downloading":
        attempts = settings.download_max_attempts
        backoff = sum(
            settings.download_retry_base_delay_seconds * 2**i for i in range(attempts - 1)
        )
        return settings.download_timeout_seconds * attempts + backoff + 60
    return float(settings.stall_seconds)


def stalled_for(job: Job, now: float, settings: BossSettings) -> float | None:
    """How long past its allowance ``job`` is (seconds), or None when it is not stalled."""
    if job.status not in (RUNNING, UPLOADING) or job.stage_at is None:
        return None
    over = now - job.stage_at - allowance(job.stage.split(" ", 1)[0], settings)
    return over if over > 0 else None


__all__ = ["allowance", "stalled_for"]
