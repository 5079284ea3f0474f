"""``bossctl worker``: an arq worker that runs boss-bot jobs (download → compress → post).

The worker owns a store connection (PostgreSQL), warm download processes and a *worker*
:class:`~boss_bot.core.pipeline.Pipeline`; the Discord side (posting over REST) is the
``host`` the entry point passes in, so this module never imports discord.

Shutdown (SIGTERM/SIGINT): stop taking tickets, stop the running jobs (their processes are
killed and files removed), hand them back to the queue at once (no lease wait) with a ticket
each, then close. A SIGKILL skips all that; the leases then run out and another worker takes
the jobs over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from boss_bot.core import paths
from boss_bot.core.distributed.tickets import (
    HEALTH_KEY_PREFIX,
    QUEUE_NAME,
    TICKET_FUNCTION,
    Tickets,
    redis_settings,
)
from boss_bot.core.events import EventBus
from boss_bot.core.gc_pause import freeze_startup_objects
from boss_bot.core.manager import DownloadManager
from boss_bot.core.pipeline import JobHost, Pipeline
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store, open_store
from boss_bot.core.telemetry import Telemetry

log = logging.getLogger(__name__)

#: How often arq looks for tickets (seconds). Small: it is one cheap Redis call, and it is
#: most of the latency between a request and a worker starting on it.
POLL_DELAY = 0.05
#: Seconds between two writes of arq's own health-check key (boss-bot's heartbeat is separate:
#: see tickets.HEALTH_KEY_PREFIX).
HEALTH_CHECK_INTERVAL = 5
#: Store errors retry the ticket after this many seconds × the try number (arq's backoff).
RETRY_BACKOFF_SECONDS = 2
#: A ticket is retried this often before arq gives up (the job itself stays queued and the
#: next reconciliation sends a fresh ticket).
TICKET_MAX_TRIES = 5
#: At most this many tickets are topped up per reconciliation (bounded work per tick).
MAX_TOP_UP = 200


class WorkerHost(JobHost, Protocol):
    """The Discord side of a worker (:class:`boss_bot.bot.remote.RestHost`)."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...


HostFactory = Callable[[Pipeline], WorkerHost]
#: Starts the edge's HTTP server (health checks and /metrics) for this worker; returns
#: something with ``stop()``, or None when HTTP is off.
HttpStarter = Callable[[Store, Pipeline], Awaitable[Any]]


def worker_name() -> str:
    """Unique per process, readable in logs and in a job's ``lease_owner``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class WorkerService:
    """Everything one worker process holds, started and closed in order."""

    def __init__(
        self, settings: BossSettings, make_host: HostFactory, start_http: HttpStarter | None = None
    ) -> None:
        # Warm download processes: one per job this worker runs at once.
        self.settings = settings.model_copy(
            update={"max_concurrent_downloads": settings.worker_concurrency}
        )
        self.name = worker_name()
        self._make_host = make_host
        self._start_http = start_http
        self.http: Any = None
        self.store: Store | None = None
        self.tickets: Tickets | None = None
        self.manager: DownloadManager | None = None
        self.pipeline: Pipeline | None = None
        self.host: WorkerHost | None = None
        self._reconciler: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # DOWNLOAD_DIR is this worker's own: job directories left by a crash of an earlier run
        # are partial files of jobs long taken over elsewhere.
        await asyncio.to_thread(_remove_stale_job_dirs, self.settings)
        self.store = await open_store(self.settings)
        log.info("worker %s: store ready", self.name)
        self.tickets = await Tickets.connect(self.settings)
        log.info("worker %s: redis ready", self.name)
        self.manager = DownloadManager(self.settings)
        await self.manager.start()
        log.info("worker %s: download processes ready", self.name)
        self.pipeline = Pipeline(
            self.settings, self.manager, self.store, bus=EventBus(), telemetry=Telemetry(),
            role="worker", owner=self.name,
        )  # fmt: skip
        self.host = self._make_host(self.pipeline)
        self.pipeline.host = self.host
        await self.host.start()
        await self.pipeline.start()
        if self._start_http is not None:
            self.http = await self._start_http(self.store, self.pipeline)
        self._reconciler = asyncio.create_task(self._reconcile_forever(), name="reconcile")
        freeze_startup_objects()  # keep full garbage collections short (core/gc_pause.py)
        log.info("worker %s ready: %d job(s) at once", self.name, self.settings.worker_concurrency)

    async def run_ticket(self) -> str:
        """One ticket: run the fair next job (see Pipeline.run_claimed)."""
        assert self.pipeline is not None
        result = await self.pipeline.run_claimed()
        if result is None:
            return "nothing queued"
        return f"{result.job.id}: {result.outcome}"

    async def reconcile(self) -> None:
        """Jobs of dead workers back to the queue, and a ticket for every active job."""
        assert self.pipeline is not None and self.tickets is not None and self.store is not None
        for job in await self.pipeline.renew_and_reclaim():
            await self.tickets.ticket(job.id)
        counts = await self.store.queue.counts()
        active = sum(counts.get(s, 0) for s in ("queued", "running", "uploading"))
        missing = active - await self.tickets.outstanding()
        for _ in range(min(missing, MAX_TOP_UP)):
            await self.tickets.ticket("top-up")
        if missing > 0:
            log.info("sent %d missing ticket(s)", min(missing, MAX_TOP_UP))

    async def beat(self, period: float) -> None:
        """Heartbeat for ``bossctl worker --check`` (lives three periods)."""
        assert self.pipeline is not None and self.tickets is not None
        running = len(self.pipeline.running_jobs())
        at = time.strftime("%Y-%m-%d %H:%M:%S")
        line = f"{at} running={running}/{self.settings.worker_concurrency}"
        await self.tickets.beat(self.name, line, period * 3)

    async def _reconcile_forever(self) -> None:
        period = max(self.settings.worker_lease_seconds / 3, 0.5)
        while True:
            try:
                await self.beat(period)
                await self.reconcile()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis or the database restarting: try next time
                log.warning("reconciliation failed: %s", exc)
            await asyncio.sleep(period)

    async def close(self) -> None:
        """Hand running jobs back, then close everything (safe after a partial start)."""
        if self.http is not None:
            with contextlib.suppress(Exception):
                await self.http.stop()
        if self._reconciler is not None:
            self._reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconciler
        if self.pipeline is not None:
            await self.pipeline.close()
        if self.tickets is not None:
            with contextlib.suppress(Exception):
                await self.tickets.pool.delete(f"{HEALTH_KEY_PREFIX}{self.name}")
        if self.store is not None:
            with contextlib.suppress(Exception):
                released = await self.store.queue.release(self.name)
                if released and self.tickets is not None:
                    for job in released:
                        await self.tickets.ticket(job.id)
                    log.info("handed %d running job(s) back to the queue", len(released))
        for closer in (self.host, self.manager, self.tickets, self.store):
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer.close()


def _remove_stale_job_dirs(settings: BossSettings) -> None:
    root = settings.requests_dir
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry.name.startswith("job-") and not entry.is_symlink():
            log.info("removing %s, left by an earlier run of this worker", entry.name)
            paths.remove_tree(entry)


async def run_ticket(ctx: dict[str, Any], job_id: str = "") -> str:
    """The arq function behind every ticket (``job_id`` names the request it was sent for)."""
    from arq import Retry

    service: WorkerService = ctx["service"]
    try:
        return await service.run_ticket()
    except (asyncio.CancelledError, Retry):
        raise
    except Exception as exc:  # the store unreachable, most likely: arq retries with backoff
        log.warning("ticket %s could not run: %s", job_id, exc)
        raise Retry(defer=RETRY_BACKOFF_SECONDS * ctx.get("job_try", 1)) from exc


async def serve(
    settings: BossSettings, make_host: HostFactory, start_http: HttpStarter | None = None
) -> None:
    """Run a worker until SIGTERM/SIGINT."""
    from arq import Worker, func

    service = WorkerService(settings, make_host, start_http)
    try:
        await service.start()
        worker = Worker(
            functions=[func(run_ticket, name=TICKET_FUNCTION, max_tries=TICKET_MAX_TRIES)],
            queue_name=QUEUE_NAME,
            redis_settings=redis_settings(settings),
            max_jobs=settings.worker_concurrency,
            job_timeout=settings.worker_job_timeout_seconds,
            keep_result=3600,
            poll_delay=POLL_DELAY,
            handle_signals=False,  # ours below: mark the pipeline as stopping first
            health_check_interval=HEALTH_CHECK_INTERVAL,
            ctx={"service": service},
        )
        loop = asyncio.get_running_loop()

        def stop(signum: signal.Signals) -> None:
            log.info("worker %s stopping (%s)", service.name, signum.name)
            if service.pipeline is not None:
                service.pipeline.stopping()
            worker.handle_sig(signum)

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop, sig)
        with contextlib.suppress(asyncio.CancelledError):
            await worker.async_run()  # (sets worker.main_task, which handle_sig cancels)
        with contextlib.suppress(Exception):
            await worker.close()
    finally:
        await service.close()
