"""The workers page: what ``core/distributed`` writes, read back.

Each ``bossctl worker`` writes a heartbeat key in Redis (``boss-bot:worker:<name>``, the line
``<local time> running=<n>/<concurrency>``, expiring after three reconciliation periods: see
:meth:`~boss_bot.core.distributed.WorkerService.beat`), and each job it runs carries its name
and lease expiry in the store (``lease_owner``, ``lease_expires_at``). A worker with a heartbeat
is alive; one that holds leases but has no heartbeat has stopped, and its jobs go back to the
queue when the leases run out. In embedded mode (QUEUE_BACKEND=local) there are no workers.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from boss_bot.core.jobs import Job
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store
from boss_bot.http.web import queries

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 2.0
_BEAT = re.compile(r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) running=(?P<n>\d+)/(?P<of>\d+)$")


@dataclass
class WorkerView:
    name: str
    heartbeat: str | None = None
    beat_at: str | None = None
    running: str | None = None
    jobs: list[tuple[Job, float | None]] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return self.heartbeat is not None

    @property
    def health(self) -> str:
        if self.alive:
            return "alive"
        return "no heartbeat: stopped; its jobs return to the queue when their leases run out"


@dataclass
class WorkersPage:
    distributed: bool
    workers: list[WorkerView]
    redis_error: str | None = None


class WorkerHealth:
    """Reads the workers' heartbeat keys; one Redis connection, opened on first use."""

    def __init__(self, settings: BossSettings) -> None:
        self.settings = settings
        self._tickets: Any = None
        self._lock = asyncio.Lock()

    @property
    def distributed(self) -> bool:
        return self.settings.queue_backend == "redis" and self.settings.redis_url is not None

    async def beats(self) -> dict[str, str]:
        from boss_bot.core.distributed import Tickets  # arq and redis: only when needed

        async with self._lock:
            if self._tickets is None:
                self._tickets = await asyncio.wait_for(
                    Tickets.connect(self.settings), REDIS_TIMEOUT_SECONDS
                )
        return await asyncio.wait_for(self._tickets.health(), REDIS_TIMEOUT_SECONDS)

    async def close(self) -> None:
        if self._tickets is not None:
            try:
                await self._tickets.close()
            except Exception as exc:  # closing must not fail a shutdown
                log.debug("closing the workers' Redis connection: %s", exc)
            self._tickets = None


async def workers_page(store: Store, health: WorkerHealth) -> WorkersPage:
    if not health.distributed:
        return WorkersPage(distributed=False, workers=[])
    beats: dict[str, str] = {}
    error = None
    try:
        beats = await health.beats()
    except Exception as exc:  # Redis down: the leases in the store still tell something
        error = f"Redis did not answer ({type(exc).__name__}); heartbeats are unknown."
    now = time.time()
    found: dict[str, WorkerView] = {}
    for name, line in sorted(beats.items()):
        view = found.setdefault(name, WorkerView(name))
        view.heartbeat = line
        parsed = _BEAT.match(line)
        if parsed is not None:
            view.beat_at, view.running = parsed["at"], f"{parsed['n']}/{parsed['of']}"
    for job, owner, expires in await queries.leased_jobs(store):
        left = None if expires is None else expires - now
        found.setdefault(owner, WorkerView(owner)).jobs.append((job, left))
    workers = sorted(found.values(), key=lambda w: (not w.alive, w.name))
    return WorkersPage(distributed=True, workers=workers, redis_error=error)


__all__ = ["WorkerHealth", "WorkerView", "WorkersPage", "workers_page"]
