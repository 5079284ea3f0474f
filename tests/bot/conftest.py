"""Fixtures for the bot tests: media for the scenarios, and a running BossBot on the double.

``make_world(**settings)`` starts a Discord double (tier-0, tier-2 and a "liar" guild whose
real limit is lower than its tier says) and a real :class:`BossBot` connected to it over HTTP
and a websocket, on the shared warm worker pool. Starting one takes well under a second, so
each test gets its own bot and its own DOWNLOAD_DIR.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_asyncio
from discord.gateway import DiscordWebSocket
from discord.http import Route

from boss_bot.bot.client import BossBot
from boss_bot.core.manager import DownloadManager
from boss_bot.core.settings import BossSettings
from boss_bot.core.workers.pool import WorkerPool
from tests.discord_double import MIB, DiscordDouble, Guild, StoredMessage, User
from tests.support.media import make_jpeg, make_mp4
from tests.support.media_server import MediaServer

T = TypeVar("T")
WAIT = 10.0
#: Images in the "post" behind /page/gallery.html.
GALLERY_SIZE = 14


@dataclass(frozen=True)
class BotMedia:
    clip25: Path  # ~25 MB of incompressible 640x360 video
    clip25_url: str
    slow_url: str  # the same clip, dripped (for cancel tests)
    gallery_url: str
    photo_url: str
    png_url: str


@pytest.fixture(scope="session")
def bot_media(media_server: MediaServer, tmp_path_factory: pytest.TempPathFactory) -> BotMedia:
    d = tmp_path_factory.mktemp("bot-media")
    # 8 s of noise at 25 Mb/s: about 25 MB that no encoder can shrink by accident, and short,
    # so compressing it to 10 MiB takes seconds.
    clip = make_mp4(d / "clip25.mp4", seconds=8, size="640x360", noise=True, bitrate="25000k")
    media_server.add_file("clip25.mp4", clip, "video/mp4")
    tags = []
    for i in range(GALLERY_SIZE):
        name = f"g{i:02d}.jpg"
        media_server.add_file(
            name, make_jpeg(d / name, size=(160, 120), seed=100 + i), "image/jpeg"
        )
        # yt-dlp's generic extractor turns each media tag into a playlist entry, so one link
        # yields 14 image files, as a 14-image post on a real site does.
        tags.append(f'<video src="/{name}"></video>')
    media_server.add_page(
        "gallery.html", "<html><head><title>Gallery</title></head><body>" + "".join(tags)
    )
    return BotMedia(
        clip25=clip,
        clip25_url=media_server.url("clip25.mp4"),
        slow_url=media_server.url("slow/clip25.mp4"),
        gallery_url=media_server.url("page/gallery.html"),
        photo_url=media_server.url("photo.jpg"),
        png_url=media_server.url("image.png"),
    )


class TestBot(BossBot):
    """BossBot as shipped; only the shared warm pool and a short ready timeout differ."""

    __test__ = False


@dataclass
class World:
    double: DiscordDouble
    bot: BossBot
    task: asyncio.Task[None]
    settings: BossSettings
    tier0: Guild
    tier2: Guild
    liar: Guild  # tier 2 (50 MiB advertised) that really takes 10 MiB
    alice: User
    bob: User

    async def bounded(self, awaitable: Awaitable[T], timeout: float = WAIT) -> T:
        """Await with a timeout; fail at once with the bot's exception if the bot dies."""
        waiter = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait(
            {waiter, self.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter in done:
            return waiter.result()
        waiter.cancel()
        if self.task in done:
            self.task.result()
            raise AssertionError("the bot stopped")
        raise TimeoutError(f"nothing within {timeout} s")

    async def say(self, guild: Guild, text: str, user: User | None = None) -> int:
        """A user posts ``text`` in the guild's first channel; returns the message id."""
        payload = await self.double.send_user_message(
            guild.default_channel_id, (user or self.alice).id, text
        )
        return int(payload["id"])

    def replies_to(self, guild: Guild, message_id: int) -> list[StoredMessage]:
        return [
            m
            for m in self.double.bot_messages(guild.default_channel_id)
            if m.reference and int(m.reference["message_id"]) == message_id
        ]

    async def final_status(
        self, guild: Guild, message_id: int, timeout: float = 60.0, count: int = 1
    ) -> list[StoredMessage]:
        """The status replies to a message once all ``count`` show an outcome."""

        def finished() -> list[StoredMessage] | None:
            replies = [m for m in self.replies_to(guild, message_id) if "Job `" in m.content]
            done = [m for m in replies if m.content.split("\n", 1)[-1][:1] in ("✅", "❌", "🚫")]
            return done if len(done) >= count else None

        return await self.bounded(self.double.wait_until(finished, timeout), timeout + 1)


MakeWorld = Callable[..., AbstractAsyncContextManager[World]]


@pytest_asyncio.fixture
async def make_world(
    make_settings: Callable[..., BossSettings],
    worker_pool: WorkerPool,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[MakeWorld]:
    @asynccontextmanager
    async def start(
        configure: Callable[[DiscordDouble], None] | None = None, **overrides: Any
    ) -> AsyncIterator[World]:
        async with DiscordDouble() as double:
            tier0 = double.add_guild("tier0", premium_tier=0)
            tier2 = double.add_guild("tier2", premium_tier=2)
            liar = double.add_guild("liar", premium_tier=2, real_limit_override=10 * MIB)
            alice = double.add_user("alice")
            bob = double.add_user("bob")
            for guild in (tier0, tier2, liar):
                double.add_member(guild.id, alice.id)
                double.add_member(guild.id, bob.id)
            if configure is not None:
                configure(double)
            settings = make_settings(
                discord_api_base_url=double.api_base,
                discord_gateway_url=double.gateway_url,
                **overrides,
            )
            saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
            manager = DownloadManager(settings, pool=worker_pool)
            bot = TestBot(settings, manager=manager, guild_ready_timeout=0.1)
            task = asyncio.create_task(bot.start(double.token))
            world = World(double, bot, task, settings, tier0, tier2, liar, alice, bob)
            try:
                await world.bounded(double.wait_for_gateway())
                await world.bounded(bot.wait_until_ready())
                yield world
                assert double.unknown_routes == []
                assert double.internal_errors == []
            finally:
                await bot.close()
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(task, 10)
                # BossBot points discord.py at the double on login; put Discord back.
                Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
        errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
        assert errors == [], [r.getMessage() for r in errors]

    yield start


@pytest_asyncio.fixture
async def world(make_world: MakeWorld) -> AsyncIterator[World]:
    async with make_world() as w:
        yield w


from tests.bot.pipeline_support import start_pipeline  # noqa: E402, F401  (fixture)
