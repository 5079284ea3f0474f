"""Jobs this process did not submit: resumed after a restart, retried, queued by another.

* **Adoption.** Such a job is held like a submitted one, and the :class:`JobHost` (the bot) is
  asked, in a task, where its files and stages go; the job's run waits for that answer.
* **Restart** (embedded mode): jobs that were running when the process stopped are queued
  again (``resumed``) with their partial files removed, and every job still queued is adopted,
  oldest first, so its user hears about it. A bot process in distributed mode (a dispatcher)
  adopts the still-queued jobs the same way. Either adopts only the jobs of the guilds it
  ``owns`` (its gateway shards; DMs belong to shard 0): another process's are its own.
* **Expired leases** (distributed mode): a dead worker's jobs go back to the queue, their
  partial files removed when they are on this machine.

The database is not trusted to name what gets deleted: a recorded work directory is removed
only when it lies below the requests directory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from boss_bot.core import paths
from boss_bot.core.errors import UnsafePathError
from boss_bot.core.pipeline.held import Held, HeldJobs
from boss_bot.core.pipeline.types import AdoptReason, Attachment, JobHost
from boss_bot.core.store import request_of

if TYPE_CHECKING:
    from boss_bot.core.jobs import Job, JobQueue

log = logging.getLogger(__name__)


class Adopter:
    """Holds jobs this process did not submit and asks the host where each one goes."""

    def __init__(self, held: HeldJobs, host: JobHost | None) -> None:
        self.held = held
        #: May be set after construction (a worker builds its host from its pipeline).
        self.host = host

    def adopt_soon(self, job: Job, reason: AdoptReason) -> Held:
        """Hold ``job`` (if not yet held) and ask the host about it, in a task."""
        held = self.held.get(job.id)
        if held is None:
            held = self.held.hold(job.id, request_of(job), Attachment())
        if self.host is not None and held.adoption is None:
            held.adoption = asyncio.create_task(
                self._adopt(held, job, reason), name=f"adopt-{job.id}"
            )
        return held

    async def _adopt(self, held: Held, job: Job, reason: AdoptReason) -> None:
        assert self.host is not None
        try:
            attachment = await self.host.adopt(job, held.request, reason)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s: the host could not take it", job.id)
            return
        if attachment is not None:
            held.attachment = attachment


#: Whether a guild's jobs (None: DMs) belong to this process.
Owns = Callable[[int | None], bool]


async def recover_at_start(
    queue: JobQueue, requests_dir: Path, max_queue_size: int, adopter: Adopter,
    *, owns: Owns | None = None,
) -> list[Job]:  # fmt: skip
    """Embedded mode's restart: re-queue what was running, adopt what is queued (of the guilds
    this process ``owns``; embedded mode runs every shard, so that is every job).

    Returns the jobs that were running when the process stopped (now queued again).
    """
    resumed = await queue.recover()
    for job in resumed:
        if job.work_dir:
            await asyncio.to_thread(remove_work_dir, requests_dir, job.work_dir)
        await queue.set_stage(job.id, work_dir=None)
        log.info("job %s was running at the last stop: queued again", job.id)
    await adopt_waiting(queue, max_queue_size, adopter, owns, resumed={j.id for j in resumed})
    return resumed


async def adopt_waiting(
    queue: JobQueue, max_queue_size: int, adopter: Adopter, owns: Owns | None,
    *, resumed: set[str] | None = None,
) -> list[Job]:  # fmt: skip
    """Adopt every queued job of the guilds this process ``owns``, oldest first (``"restart"``:
    its status message says it is still queued after a restart); returns them."""
    waiting = await queue.list(status="queued", limit=max_queue_size)
    adopted = []
    for job in sorted(waiting, key=lambda j: j.created_at):
        if adopter.held.get(job.id) is not None or (owns is not None and not owns(job.guild_id)):
            continue
        if resumed and job.id in resumed:
            job = replace(job, resumed=True)
        adopter.adopt_soon(job, "restart")
        adopted.append(job)
        log.info("job %s (queued before the last stop) adopted", job.id)
    return adopted


async def reclaim_expired(queue: JobQueue, requests_dir: Path) -> list[Job]:
    """Jobs whose worker stopped renewing its lease, back in the queue (each needs a ticket)."""
    jobs = await queue.reclaim_expired()
    for job in jobs:
        log.warning("job %s: its worker stopped renewing the lease; queued again", job.id)
        if job.work_dir:
            await asyncio.to_thread(remove_work_dir, requests_dir, job.work_dir)
    return jobs


def remove_work_dir(requests_dir: Path, recorded: str) -> None:
    """Remove a crashed run's directory, but only one below the requests directory."""
    try:
        target = paths.ensure_inside(requests_dir, Path(recorded))
    except UnsafePathError:
        log.warning("not removing %s: outside %s", recorded, requests_dir)
        return
    if target != requests_dir.resolve():
        paths.remove_tree(target)


__all__ = [
    "Adopter",
    "Owns",
    "adopt_waiting",
    "reclaim_expired",
    "recover_at_start",
    "remove_work_dir",
]
