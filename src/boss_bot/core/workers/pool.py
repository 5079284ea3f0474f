"""A pool of warm worker processes that run API-direct downloads.

Why processes and not threads (measured on a 2-core machine, see issue #2):

- gallery-dl's configuration is module-global: 8 concurrent in-thread jobs put 7 of 8 files in
  the wrong directory, and a cold start raised ``ValueError: generator already executing``;
- yt-dlp in a thread held the GIL long enough to stall the event loop by 8–30 ms per download,
  against 3–4 ms for a subprocess;
- a process can be killed, so cancel and timeout are real.

Each worker is ``python -m boss_bot.core.workers.child`` in its own session (process group).
Workers are spawned and warmed (imports done, extractor lists loaded) at :meth:`start`, so a
download pays for the work, not the start-up. A worker runs one job at a time; on timeout,
cancellation or a crash its whole group is killed and a fresh worker is spawned in the
background to take its place.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from boss_bot.core.errors import WorkerCrashedError
from boss_bot.core.process import PRIVATE_UMASK, clean_env, kill_process_group
from boss_bot.core.workers import protocol

log = logging.getLogger(__name__)

#: Longest protocol line accepted (a playlist's info dict can be large).
_LINE_LIMIT = 32 * 1024 * 1024
#: A worker is replaced after this many jobs, so leaks in the tools cannot accumulate.
RECYCLE_AFTER_JOBS = 200

EventCallback = Callable[[dict[str, Any]], None]


class _Worker:
    """One child process and its pipes."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.jobs = 0
        self.stderr_tail: list[str] = []
        self._stderr_task = asyncio.create_task(self._drain_stderr())

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    async def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            text = line.decode("utf-8", "replace").rstrip()
            self.stderr_tail.append(text)
            del self.stderr_tail[:-30]
            log.debug("worker %s: %s", self.proc.pid, text)

    async def read_message(self) -> dict[str, Any] | None:
        """The next protocol message, or None when the worker's pipe closed (it died)."""
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                return None
            with contextlib.suppress(ValueError):
                msg = json.loads(line)
                if isinstance(msg, dict):
                    return msg

    async def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self.proc.stdin.drain()

    async def kill(self) -> None:
        await kill_process_group(self.proc, grace=0.5)
        self._stderr_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._stderr_task

    def crash_detail(self) -> str:
        rc = self.proc.returncode
        tail = "\n".join(self.stderr_tail[-5:])
        return f"download worker exited with status {rc}" + (f": {tail}" if tail else "")


class WorkerPool:
    """``size`` warm workers; :meth:`run` sends one request to an idle one and awaits the answer.

    ``child_argv`` replaces the worker command (tests use it to make the API path fail for real).
    """

    def __init__(
        self,
        size: int,
        *,
        child_argv: Sequence[str] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.size = size
        self._argv = list(child_argv or [sys.executable, "-m", "boss_bot.core.workers.child"])
        self._startup_timeout = startup_timeout
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._spawning: set[asyncio.Task[None]] = set()
        self._closed = False
        self._started = False
        self.last_warm_seconds: float | None = None

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Spawn and warm every worker; returns when all are ready (or failed to start).

        Idempotent: a pool shared by several owners (the bot, a test session) starts once.
        """
        if self._started:
            return
        self._started = True
        await asyncio.gather(*(self._spawn() for _ in range(self.size)), return_exceptions=True)

    async def close(self) -> None:
        """Kill every worker (idle or busy) and stop replacing them."""
        self._closed = True
        for task in list(self._spawning):
            task.cancel()
        await asyncio.gather(*self._spawning, return_exceptions=True)
        await asyncio.gather(*(w.kill() for w in list(self._all)), return_exceptions=True)
        self._all.clear()

    async def __aenter__(self) -> WorkerPool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def pids(self) -> list[int]:
        """Process ids of live workers (for tests and `bossctl doctor`)."""
        return [w.proc.pid for w in self._all if w.alive]

    async def _spawn(self) -> None:
        proc = await asyncio.create_subprocess_exec(
            *self._argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=clean_env(),
            start_new_session=True,
            umask=PRIVATE_UMASK,  # files the tools write are 0600, directories 0700
            limit=_LINE_LIMIT,
        )
        worker = _Worker(proc)
        self._all.add(worker)
        try:
            msg = await asyncio.wait_for(worker.read_message(), self._startup_timeout)
        except BaseException:
            await self._discard(worker)
            raise
        if not msg or msg.get("type") != protocol.READY:
            await self._discard(worker)
            log.warning("%s", worker.crash_detail())
            return
        self.last_warm_seconds = msg.get("warm_seconds")
        if self._closed:
            await self._discard(worker)
            return
        self._idle.put_nowait(worker)

    def _respawn_later(self) -> None:
        if self._closed:
            return
        task = asyncio.create_task(self._spawn())
        self._spawning.add(task)
        task.add_done_callback(self._spawning.discard)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # never "unretrieved"

    async def _discard(self, worker: _Worker) -> None:
        self._all.discard(worker)
        await worker.kill()

    async def _acquire(self) -> _Worker:
        while True:
            if self._idle.empty() and not self._spawning and len(self._all) < self.size:
                # Every worker died at start-up (or was discarded): try once more now.
                await self._spawn()
                if self._idle.empty():
                    raise WorkerCrashedError("no download worker could be started")
            worker = await self._idle.get()
            if worker.alive:
                return worker
            await self._discard(worker)
            self._respawn_later()

    # -- running jobs ----------------------------------------------------------------------
    async def run(
        self,
        request: protocol.DownloadRequest,
        *,
        on_event: EventCallback | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Run ``request`` on a warm worker; return its ``done`` or ``error`` message.

        Raises ``TimeoutError`` after ``timeout`` seconds and :class:`WorkerCrashedError` when
        the worker dies; in both cases, and on cancellation, the worker's whole process group is
        killed and a replacement is spawned in the background.
        """
        if self._closed:
            raise WorkerCrashedError("the worker pool is closed")
        worker = await self._acquire()
        healthy = False
        try:
            async with asyncio.timeout(timeout):
                await worker.send(dict(request))
                while True:
                    msg = await worker.read_message()
                    if msg is None:
                        await worker.proc.wait()
                        raise WorkerCrashedError(worker.crash_detail())
                    kind = msg.get("type")
                    if kind in (protocol.DONE, protocol.ERROR):
                        healthy = True
                        return msg
                    if kind == protocol.PROGRESS and on_event is not None:
                        on_event(msg)
                    # unknown types are ignored by contract
        finally:
            worker.jobs += 1
            if healthy and worker.alive and worker.jobs < RECYCLE_AFTER_JOBS:
                self._idle.put_nowait(worker)
            else:
                await asyncio.shield(self._discard(worker))
                self._respawn_later()
