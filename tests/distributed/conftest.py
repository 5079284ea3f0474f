"""Distributed mode for real: the bot (in this process) on the Discord double, a throwaway
redis-server and PostgreSQL, and ``python -m boss_bot worker`` subprocesses.

``make_cluster(workers=2, worker_env={...}, **bot_settings)`` yields a :class:`Cluster`: the
bot's :class:`~tests.bot.conftest.World` plus helpers to start, SIGKILL and stop workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import pytest_asyncio
from discord.gateway import DiscordWebSocket
from discord.http import Route

from boss_bot.core.distributed import Tickets
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store, open_store
from tests.bot.conftest import TestBot, World
from tests.bot.pipeline_support import eventually
from tests.discord_double import DiscordDouble, User
from tests.support.media import make_jpeg, make_mp4
from tests.support.media_server import MediaServer
from tests.support.postgres import fresh_database
from tests.support.redis import RedisServer, redis_server, require_redis

WORKER_START_TIMEOUT = 60.0
#: Short leases so a SIGKILLed worker's job is taken over within seconds.
LEASE_SECONDS = 2.0
GALLERY_SIZE = 8


@dataclass(frozen=True)
class ClusterMedia:
    photos: list[str]  # distinct JPEG URLs
    clips: list[str]  # distinct small mp4 URLs
    gallery_url: str  # a page with GALLERY_SIZE images
    gallery_names: list[str]
    slow_url: str  # a dripped clip (for cancel / kill tests)


@pytest.fixture(scope="session")
def cluster_media(
    media_server: MediaServer, tmp_path_factory: pytest.TempPathFactory
) -> ClusterMedia:
    d = tmp_path_factory.mktemp("cluster-media")
    photos = []
    for i in range(16):
        name = f"cl-photo{i:02d}.jpg"
        media_server.add_file(
            name, make_jpeg(d / name, size=(200, 150), seed=300 + i), "image/jpeg"
        )
        photos.append(media_server.url(name))
    clips = []
    for i in range(6):
        name = f"cl-clip{i}.mp4"
        clip = make_mp4(d / name, seconds=1 + i * 0.1, size="160x120")
        media_server.add_file(name, clip, "video/mp4")
        clips.append(media_server.url(name))
    names, tags = [], []
    for i in range(GALLERY_SIZE):
        name = f"cl-g{i:02d}.jpg"
        media_server.add_file(name, make_jpeg(d / name, size=(120, 90), seed=400 + i), "image/jpeg")
        names.append(name)
        tags.append(f'<video src="/{name}"></video>')
    media_server.add_page(
        "cl-gallery.html", "<html><head><title>Cluster</title></head><body>" + "".join(tags)
    )
    slow = make_mp4(d / "cl-slow.mp4", seconds=3, size="320x240", noise=True, bitrate="900k")
    media_server.add_file("cl-slow.mp4", slow, "video/mp4")
    return ClusterMedia(
        photos=photos,
        clips=clips,
        gallery_url=media_server.url("page/cl-gallery.html"),
        gallery_names=names,
        slow_url=media_server.url("slow/cl-slow.mp4"),
    )


@dataclass
class WorkerProc:
    name: str
    proc: asyncio.subprocess.Process
    log: Path
    download_dir: Path
    root: Path

    def descendants(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.NoSuchProcess):
            return psutil.Process(self.proc.pid).children(recursive=True)
        return []


@dataclass
class Cluster:
    world: World
    redis: RedisServer
    base_env: dict[str, str]
    tmp: Path
    tickets: Tickets
    workers: list[WorkerProc] = field(default_factory=list)
    users: list[User] = field(default_factory=list)

    async def start_worker(self, root: Path | None = None, **env: str) -> WorkerProc:
        """``python -m boss_bot worker``; returns once it reports in (arq health key).
        ``root`` reuses an earlier worker's directories (a restart on the same machine)."""
        name = f"w{len(self.workers) + 1}"
        root = root or self.tmp / name
        root.mkdir(exist_ok=True)
        full = {**self.base_env, "DOWNLOAD_DIR": str(root / "dl"), "DATA_DIR": str(root / "data"),
                **env}  # fmt: skip
        log = root / "worker.log"
        with log.open("ab") as sink:  # a file, not a pipe: a chatty worker never blocks
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "boss_bot", "worker", env=full, stdout=sink, stderr=sink
            )
        worker = WorkerProc(name, proc, log, root / "dl", root)
        self.workers.append(worker)

        async def reported() -> bool:
            if proc.returncode is not None:
                raise AssertionError(f"worker exited: {log.read_text(errors='replace')[-3000:]}")
            # Worker names are host:pid:random; the heartbeat key carries the name.
            return any(f":{proc.pid}:" in name for name in await self.tickets.health())

        try:
            await eventually_async(reported, WORKER_START_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"no report: {log.read_text(errors='replace')[-3000:]}") from None
        return worker

    async def kill(self, worker: WorkerProc) -> None:
        worker.proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(worker.proc.wait(), 10)

    async def stop_all(self) -> None:
        for w in self.workers:
            if w.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    w.proc.send_signal(signal.SIGTERM)
        for w in self.workers:
            try:
                await asyncio.wait_for(w.proc.wait(), 30)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    w.proc.kill()
                await asyncio.wait_for(w.proc.wait(), 10)

    def logs(self) -> str:
        return "\n".join(
            f"--- {w.name} ---\n{w.log.read_text(errors='replace')[-4000:]}" for w in self.workers
        )

    async def open_store(self) -> Store:
        return await open_store(self.world.settings)


async def eventually_async(check: Callable[[], Any], timeout: float, every: float = 0.1) -> Any:
    """Await ``check()`` until it returns something truthy (bounded by ``timeout``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise TimeoutError(f"not within {timeout} s")
        await asyncio.sleep(every)


MakeCluster = Callable[..., AbstractAsyncContextManager[Cluster]]


@pytest_asyncio.fixture
async def make_cluster(
    make_settings: Callable[..., BossSettings],
    postgres_url: str,
    tmp_path: Path,
) -> AsyncIterator[MakeCluster]:
    require_redis()  # installed by `make setup`: missing fails, never skips (PostgreSQL: the
    # postgres_url fixture fails the same way)

    @asynccontextmanager
    async def start(
        *, workers: int = 2, worker_env: dict[str, str] | None = None, appendonly: bool = False,
        **overrides: Any,
    ) -> AsyncIterator[Cluster]:  # fmt: skip
        database = await fresh_database(postgres_url)
        with redis_server(appendonly=appendonly) as redis:
            async with DiscordDouble() as double:
                tier0 = double.add_guild("tier0", premium_tier=0)
                tier2 = double.add_guild("tier2", premium_tier=2)
                liar = double.add_guild("liar", premium_tier=2)
                users = [double.add_user(n) for n in ("alice", "bob", "carol", "dave")]
                for guild in (tier0, tier2, liar):
                    for user in users:
                        double.add_member(guild.id, user.id)
                common = {
                    "queue_backend": "redis",
                    "redis_url": redis.url,
                    "database_url": database,
                    "worker_lease_seconds": LEASE_SECONDS,
                }
                settings = make_settings(
                    discord_api_base_url=double.api_base,
                    discord_gateway_url=double.gateway_url,
                    **common,
                    **overrides,
                )
                keep = {k: v for k, v in os.environ.items()
                        if k in ("PATH", "HOME", "LANG", "TMPDIR")}  # fmt: skip
                base_env = {
                    **keep,
                    **{k.upper(): str(v) for k, v in common.items()},
                    "DISCORD_TOKEN": double.token,
                    "DISCORD_API_BASE_URL": double.api_base,
                    "ALLOW_PRIVATE_NETWORK_URLS": "true",
                    "DOWNLOAD_RETRY_BASE_DELAY_SECONDS": "0.05",
                    "WORKER_CONCURRENCY": "1",
                    "LOG_LEVEL": "INFO",
                    **(worker_env or {}),
                }
                saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
                bot = TestBot(settings, guild_ready_timeout=0.1)
                task = asyncio.create_task(bot.start(double.token))
                world = World(double, bot, task, settings, tier0, tier2, liar, users[0], users[1])
                tickets = await Tickets.connect(settings)
                cluster = Cluster(world, redis, base_env, tmp_path, tickets, users=users)
                try:
                    await world.bounded(double.wait_for_gateway())
                    await world.bounded(bot.wait_until_ready())
                    for _ in range(workers):
                        await cluster.start_worker()
                    yield cluster
                    assert double.unknown_routes == []
                    assert double.internal_errors == []
                finally:
                    await cluster.stop_all()
                    await tickets.close()
                    await bot.close()
                    with contextlib.suppress(Exception, asyncio.CancelledError):
                        await asyncio.wait_for(task, 10)
                    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved

    yield start


__all__ = ["Cluster", "ClusterMedia", "MakeCluster", "eventually", "eventually_async"]
