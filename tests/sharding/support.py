"""Bot processes on shards, for the multi-process tests: a throwaway PostgreSQL database and
redis-server, the Discord double, ``python -m boss_bot worker`` and any number of
``python -m boss_bot run`` processes with their own ``SHARD_IDS``, each logging to its own file.

Plus :class:`HeldMedia`: one file served only once the test lets it go, so a worker's
download waits for the test (a job kept running, and the jobs behind it kept queued, for as
long as a scenario needs, with no guess at how long a drip takes).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from boss_bot.core.distributed import Tickets
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store
from tests.bot.pipeline_support import eventually
from tests.discord_double import DiscordDouble, StoredMessage
from tests.distributed.conftest import WORKER_START_TIMEOUT, WorkerProc, eventually_async
from tests.faults.support import READY_LINE, START_TIMEOUT, ended, kill_bot, status_reply

#: The longest a held download may wait for the test (every wait is bounded).
HOLD_TIMEOUT = 120.0
#: How long a job may take from its command to its final status.
JOB_TIMEOUT = 60.0


class HeldMedia:
    """``url`` serves ``data`` (a JPEG) once :meth:`release` is called; ``asked`` is set when
    the first request for it arrives."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.released = asyncio.Event()
        self.asked = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> HeldMedia:
        app = web.Application()
        app.router.add_get("/held.jpg", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/held.jpg"
        return self

    async def _serve(self, request: web.Request) -> web.Response:
        self.asked.set()
        await asyncio.wait_for(self.released.wait(), HOLD_TIMEOUT)
        return web.Response(body=self.data, content_type="image/jpeg")

    def release(self) -> None:
        self.released.set()

    async def stop(self) -> None:
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass
class BotProc:
    name: str
    proc: asyncio.subprocess.Process
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Fleet:
    """The processes of one scenario; :meth:`close` stops every one of them."""

    double: DiscordDouble
    env: dict[str, str]
    tmp: Path
    tickets: Tickets
    store: Store
    bots: list[BotProc] = field(default_factory=list)
    workers: list[WorkerProc] = field(default_factory=list)

    def bot_env(self, name: str, **extra: str) -> dict[str, str]:
        """A bot's environment: its own directories (per process, as in production)."""
        root = self.tmp / name
        return {**self.env, "DISCORD_GATEWAY_URL": self.double.gateway_url,
                "DOWNLOAD_DIR": str(root / "dl"), "DATA_DIR": str(root / "data"),
                **extra}  # fmt: skip

    async def start_bot(self, name: str, shard_ids: str, shard_count: int = 2) -> BotProc:
        """``python -m boss_bot run`` on the given shards; returns once it is ready."""
        log = self.tmp / f"{name}.log"
        before = log.read_text(errors="replace").count(READY_LINE) if log.exists() else 0
        env = self.bot_env(name, SHARD_IDS=shard_ids, SHARD_COUNT=str(shard_count))
        with log.open("ab") as sink:  # a file, not a pipe: a chatty bot never blocks on it
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "boss_bot", "run", env=env, stdout=sink, stderr=sink
            )
        bot = BotProc(name, proc, log)
        self.bots.append(bot)

        def ready() -> bool:
            if proc.returncode is not None:
                raise AssertionError(f"{name} exited {proc.returncode}: {bot.text()[-3000:]}")
            return bot.text().count(READY_LINE) > before

        await eventually(ready, START_TIMEOUT, 0.1)
        return bot

    async def start_worker(self) -> WorkerProc:
        """``python -m boss_bot worker``; returns once it reports in (arq health key)."""
        root = self.tmp / f"w{len(self.workers) + 1}"
        root.mkdir(exist_ok=True)
        env = {**self.env, "DOWNLOAD_DIR": str(root / "dl"), "DATA_DIR": str(root / "data")}
        log = root / "worker.log"
        with log.open("ab") as sink:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "boss_bot", "worker", env=env, stdout=sink, stderr=sink
            )
        worker = WorkerProc(root.name, proc, log, root / "dl", root)
        self.workers.append(worker)

        async def reported() -> bool:
            if proc.returncode is not None:
                raise AssertionError(f"worker exited: {log.read_text(errors='replace')[-3000:]}")
            return any(f":{proc.pid}:" in name for name in await self.tickets.health())

        await eventually_async(reported, WORKER_START_TIMEOUT)
        return worker

    async def kill(self, bot: BotProc) -> None:
        bot.proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(bot.proc.wait(), 10)

    async def close(self) -> None:
        for bot in self.bots:
            if bot.proc.returncode is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                bot.proc.send_signal(signal.SIGCONT)  # a stopped one must be able to die
                bot.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(bot.proc.wait(), 30)
            except TimeoutError:
                await kill_bot(bot.proc)
        for worker in self.workers:
            if worker.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(worker.proc.wait(), 30)
                except TimeoutError:
                    await kill_bot(worker.proc)

    def logs(self) -> str:
        parts = [f"--- {b.name} ---\n{b.text()[-3000:]}" for b in self.bots]
        parts += [f"--- {w.name} ---\n{w.log.read_text(errors='replace')[-3000:]}"
                  for w in self.workers]  # fmt: skip
        return "\n".join(parts)


def base_env(double: DiscordDouble, settings: BossSettings) -> dict[str, str]:
    """What every process shares: distributed mode on one database and one Redis."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    assert settings.redis_url is not None and settings.database_url is not None
    return {
        **keep,
        "QUEUE_BACKEND": "redis",
        "REDIS_URL": settings.redis_url.get_secret_value(),
        "DATABASE_URL": settings.database_url,
        "DISCORD_TOKEN": double.token,
        "DISCORD_API_BASE_URL": double.api_base,
        "ALLOW_PRIVATE_NETWORK_URLS": "true",
        "DOWNLOAD_RETRY_BASE_DELAY_SECONDS": "0.05",
        "WORKER_CONCURRENCY": "1",
        "WORKER_LEASE_SECONDS": "30",  # workers reconcile every 10 s: no stray tickets here
        "SHARD_LEASE_SECONDS": "2",
        "MAX_CONCURRENT_DOWNLOADS": "1",
        "USER_RATE_LIMIT": "0",  # one user asks more than the default 10 in a scenario
        "LOG_LEVEL": "INFO",
    }


async def ask(double: DiscordDouble, channel_id: int, user_id: int, text: str) -> int:
    """A user posts ``text``; returns the message id once a status message answers it."""
    asked = int((await double.send_user_message(channel_id, user_id, text))["id"])
    await double.wait_until(lambda: status_reply(double, channel_id, asked), JOB_TIMEOUT)
    return asked


async def finished(double: DiscordDouble, channel_id: int, asked: int) -> StoredMessage:
    """The status message of ``asked`` once it shows an outcome (bounded)."""

    def done() -> StoredMessage | None:
        status = status_reply(double, channel_id, asked)
        return status if status is not None and ended(status) else None

    return await double.wait_until(done, JOB_TIMEOUT)


def answers(double: DiscordDouble, channel_id: int, asked: int) -> list[StoredMessage]:
    """Every message any bot process sent in reply to ``asked`` (status or refusal)."""
    return [
        m
        for m in double.bot_messages(channel_id)
        if m.reference and int(m.reference["message_id"]) == asked and not m.attachments
    ]


def job_id(status: StoredMessage) -> str:
    return status.content.split("`")[1]
