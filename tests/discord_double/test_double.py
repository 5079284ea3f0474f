"""Real discord.py against the double, no mocks: login, gateway, limits, faults, reconnects.

Each test starts a fresh double and a small ``commands.Bot`` connected to it. Every wait is
bounded, and a bot that dies while a test waits fails the test at once with its exception.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import aiohttp
import discord
import pytest
from discord.ext import commands

from . import MIB, DiscordDouble, Guild, User

T = TypeVar("T")
WAIT = 5.0


class DoubleBot(commands.Bot):
    """The smallest bot that exercises prefix commands, slash commands and a button."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(
            command_prefix="$",
            intents=intents,
            help_command=None,
            guild_ready_timeout=0.1,
            max_messages=None,
        )

        @self.command()
        async def ping(ctx: commands.Context[DoubleBot]) -> None:
            await ctx.reply("pong")

        @self.tree.command()
        async def hello(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"hi, limit {interaction.filesize_limit}")

        @self.tree.command()
        async def echo(interaction: discord.Interaction, text: str, times: int = 1) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(content="working")
            await interaction.followup.send(text * times)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every re-IDENTIFY; a test has no reason to."""


class CancelView(discord.ui.View):
    @discord.ui.button(label="Cancel", custom_id="cancel")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="cancelled", view=None)


@dataclass
class World:
    double: DiscordDouble
    bot: DoubleBot
    task: asyncio.Task[None]
    tier0: Guild
    tier2: Guild
    alice: User

    def channel(self, guild: Guild) -> discord.TextChannel:
        channel = self.bot.get_channel(guild.default_channel_id)
        assert isinstance(channel, discord.TextChannel)
        return channel

    async def bounded(self, awaitable: Awaitable[T], timeout: float = WAIT) -> T:
        """Await with a timeout, failing at once with the bot's error if the bot dies."""
        waiter = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait(
            {waiter, self.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter in done:
            return waiter.result()
        waiter.cancel()
        if self.task in done:
            self.task.result()  # raises the bot's exception
            raise AssertionError("the bot stopped")
        raise TimeoutError(f"nothing within {timeout} s")


@pytest.fixture
async def world(caplog: pytest.LogCaptureFixture) -> AsyncIterator[World]:
    async with DiscordDouble() as double:
        tier0 = double.add_guild("tier0", premium_tier=0)
        tier2 = double.add_guild("tier2", premium_tier=2)
        alice = double.add_user("alice")
        for guild in (tier0, tier2):
            double.add_member(guild.id, alice.id)
        with double.patch_discord():
            bot = DoubleBot()
            task = asyncio.create_task(bot.start(double.token))
            w = World(double, bot, task, tier0, tier2, alice)
            try:
                await w.bounded(double.wait_for_gateway())
                await w.bounded(bot.wait_until_ready())
                yield w
                # Gaps in the double must be seen; tests that probe them clear the list.
                assert double.unknown_routes == []
                assert double.internal_errors == []
                # discord.py logs (rather than raises) errors in event parsing and handlers.
                records = caplog.get_records("setup") + caplog.get_records("call")
                errors = [r for r in records if r.levelno >= logging.ERROR]
                assert errors == [], [r.getMessage() for r in errors]
            finally:
                await bot.close()
                await asyncio.wait_for(task, WAIT)


@pytest.fixture
def make_file(tmp_path: Path) -> Iterator[Callable[[str, int], Path]]:
    """Write ``size`` random bytes to ``tmp_path/name``; removed after the test."""
    made: list[Path] = []

    def make(name: str, size: int) -> Path:
        path = tmp_path / name
        path.write_bytes(os.urandom(size))
        made.append(path)
        return path

    yield make
    for path in made:
        path.unlink(missing_ok=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- login, gateway, messages -------------------------------------------------------------


async def test_login_ready_and_reply_to_injected_message(world: World) -> None:
    double, bot = world.double, world.bot
    assert bot.user is not None and bot.user.id == double.bot.id
    assert bot.application_id == double.application_id
    assert bot.get_guild(world.tier0.id).filesize_limit == 10 * MIB  # type: ignore[union-attr]
    assert bot.get_guild(world.tier2.id).filesize_limit == 50 * MIB  # type: ignore[union-attr]
    assert [c.query.get("v") for c in double.gateway.connections] == ["10"]
    assert double.requests_to("GET", "/oauth2/applications/@me")[0].status == 200

    channel_id = world.tier0.default_channel_id
    sent = await double.send_user_message(channel_id, world.alice.id, "$ping")
    reply = await world.bounded(double.wait_for_message(channel_id, lambda m: m.content == "pong"))
    assert reply.reference is not None and reply.reference["message_id"] == int(sent["id"])
    assert [m.author_id for m in double.messages(channel_id)] == [world.alice.id, double.bot.id]


async def test_dm_message_gets_a_dm_reply(world: World) -> None:
    dm = world.double.dm_channel(world.alice.id)
    await world.double.send_user_message(dm.id, world.alice.id, "$ping")
    reply = await world.bounded(world.double.wait_for_message(dm.id))
    assert (reply.content, reply.guild_id) == ("pong", None)


async def test_wrong_token_is_login_failure() -> None:
    async with DiscordDouble() as double:
        with double.patch_discord():
            bot = DoubleBot()
            try:
                with pytest.raises(discord.LoginFailure):
                    await asyncio.wait_for(bot.login("not-the-token"), WAIT)
            finally:
                await bot.close()
        assert [r.status for r in double.requests] == [401]


async def test_edits_are_recorded_with_their_time(
    world: World, make_file: Callable[..., Path]
) -> None:
    message = await world.channel(world.tier0).send(
        "queued", file=discord.File(make_file("a.txt", 10))
    )
    await message.edit(content="downloading 1/3")
    # API v10: `attachments` lists what remains, old ones by id plus new uploads.
    message = await message.edit(
        content="done", attachments=[*message.attachments, discord.File(make_file("b.txt", 20))]
    )
    stored = world.double.message(message.id)
    assert stored.content == "done"
    assert [e.content for e in stored.edits] == ["downloading 1/3", "done"]
    assert stored.edits[0].at <= stored.edits[1].at
    assert [(a.filename, a.size) for a in stored.attachments] == [("a.txt", 10), ("b.txt", 20)]
    assert [a.filename for a in message.attachments] == ["a.txt", "b.txt"]
    await message.edit(attachments=[])
    assert stored.attachments == []
    await message.delete()
    assert world.double.messages(world.tier0.default_channel_id) == []


# --- upload limits ------------------------------------------------------------------------


async def test_12_mib_in_tier0_guild_is_413(world: World, make_file: Callable[..., Path]) -> None:
    path = make_file("clip.mp4", 12 * MIB)
    with pytest.raises(discord.HTTPException) as info:
        await world.channel(world.tier0).send("clip", file=discord.File(path))
    assert (info.value.status, info.value.code) == (413, 40005)
    assert world.double.messages(world.tier0.default_channel_id) == []
    assert list(world.double.storage_dir.iterdir()) == []  # the rejected upload is gone


async def test_12_mib_in_tier2_guild_is_stored_intact(
    world: World, make_file: Callable[..., Path]
) -> None:
    path = make_file("clip.mp4", 12 * MIB)
    message = await world.channel(world.tier2).send("clip", file=discord.File(path))
    (stored,) = world.double.attachments(world.tier2.default_channel_id)
    assert (stored.filename, stored.size, stored.content_type) == (
        "clip.mp4",
        12 * MIB,
        "video/mp4",
    )
    assert stored.sha256 == sha256(path)
    assert world.double.message(message.id).content == "clip"
    # The attachment URL is served back by the double (discord.py's own CDN fetch).
    assert hashlib.sha256(await message.attachments[0].read()).hexdigest() == sha256(path)


async def test_real_limit_override_and_dm_limit(
    world: World, make_file: Callable[..., Path]
) -> None:
    world.double.set_real_limit(world.tier2.id, 5 * MIB)
    path = make_file("big.bin", 6 * MIB)
    channel = world.channel(world.tier2)
    assert channel.guild.filesize_limit == 50 * MIB  # what the bot is told ...
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(file=discord.File(path))  # ... is not what Discord enforces
    assert info.value.code == 40005

    dm_path = make_file("dm.bin", 10 * MIB + 1)
    alice = await world.bot.fetch_user(world.alice.id)
    with pytest.raises(discord.HTTPException) as info:
        await alice.send(file=discord.File(dm_path))
    assert (info.value.status, info.value.code) == (413, 40005)


async def test_eleven_attachments_and_long_content_are_400(
    world: World, make_file: Callable[..., Path]
) -> None:
    channel = world.channel(world.tier0)
    files = [discord.File(make_file(f"img{i}.png", 1024)) for i in range(11)]
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(files=files)  # discord.py 2.7.1 does not check the count itself
    assert (info.value.status, info.value.code) == (400, 50035)

    with pytest.raises(discord.HTTPException) as info:
        await channel.send("x" * 2001)
    assert (info.value.status, info.value.code) == (400, 50035)

    ten = [discord.File(make_file(f"ok{i}.png", 1024)) for i in range(10)]
    message = await channel.send(files=ten)
    assert len(world.double.message(message.id).attachments) == 10


# --- faults and gaps ----------------------------------------------------------------------


async def test_429_then_200_stores_one_message(world: World) -> None:
    double = world.double
    fault = double.inject_fault("POST", "/channels/*/messages", status=429, retry_after=0.05)
    await world.bounded(world.channel(world.tier0).send("after a rate limit"))
    assert fault.hits == 1
    assert [m.content for m in double.messages(world.tier0.default_channel_id)] == [
        "after a rate limit"
    ]
    statuses = [r.status for r in double.requests_to("POST", "/channels/*/messages")]
    assert statuses == [429, 200]


async def test_injected_latency_slows_only_uploads_when_asked(
    world: World, make_file: Callable[..., Path]
) -> None:
    latency = world.double.inject_latency(
        "POST", "/channels/*/messages", 0.2, count=1, uploads_only=True
    )
    channel = world.channel(world.tier0)
    await world.bounded(channel.send("plain text"))
    assert latency.hits == 0  # a message without files is not an upload
    await world.bounded(channel.send(file=discord.File(make_file("a.bin", 1024))))
    assert latency.hits == 1 and latency.remaining == 0
    assert len(world.double.messages(world.tier0.default_channel_id)) == 2


async def test_500_then_200_stores_one_message(world: World) -> None:
    double = world.double
    double.inject_fault("POST", "/channels/*/messages", status=500)
    await world.bounded(world.channel(world.tier0).send("after a 500"))  # retried after 1 s
    assert len(double.messages(world.tier0.default_channel_id)) == 1
    assert [r.status for r in double.requests_to("POST", "/channels/*/messages")] == [500, 200]


async def test_unknown_route_is_501_and_recorded(world: World) -> None:
    guild = world.bot.get_guild(world.tier0.id)
    assert guild is not None
    with pytest.raises(discord.DiscordServerError) as info:
        await guild.fetch_emojis()  # GET /guilds/{id}/emojis: not implemented by the double
    assert info.value.status == 501
    assert [(u.method, u.path) for u in world.double.unknown_routes] == [
        ("GET", f"/api/v10/guilds/{world.tier0.id}/emojis")
    ]
    world.double.unknown_routes.clear()


async def test_json_content_type_is_exact(world: World) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{world.double.api_base}/gateway") as response,
    ):
        assert response.headers["Content-Type"] == "application/json"
        assert (await response.json())["url"] == world.double.gateway_url


# --- reconnects ---------------------------------------------------------------------------


async def test_drop_connection_resumes_and_replays(world: World) -> None:
    double = world.double
    epoch = double.gateway_epoch
    assert await double.drop_connection() == 1
    # Injected while the socket is down or coming back: delivered live or replayed on RESUME.
    channel_id = world.tier0.default_channel_id
    await double.send_user_message(channel_id, world.alice.id, "$ping")
    await world.bounded(double.wait_for_gateway(after=epoch))
    assert double.gateway.connections[-1].kind == "resume"
    await world.bounded(double.wait_for_message(channel_id, lambda m: m.content == "pong"))

    await double.send_user_message(channel_id, world.alice.id, "$ping")
    await world.bounded(double.wait_until(lambda: len(double.bot_messages(channel_id)) == 2))


async def test_invalid_session_makes_the_client_identify_again(world: World) -> None:
    double = world.double
    epoch = double.gateway_epoch
    await double.invalidate_session()
    await world.bounded(double.wait_for_gateway(after=epoch))
    assert double.gateway.connections[-1].kind == "identify"
    channel_id = world.tier2.default_channel_id
    await double.send_user_message(channel_id, world.alice.id, "$ping")
    await world.bounded(double.wait_for_message(channel_id, lambda m: m.content == "pong"))


# --- interactions -------------------------------------------------------------------------


async def test_slash_commands_sync_respond_and_follow_up(world: World) -> None:
    double, bot = world.double, world.bot
    synced = await bot.tree.sync()
    assert sorted(c.name for c in synced) == ["echo", "hello"]
    assert sorted(c["name"] for c in double.commands[None]) == ["echo", "hello"]
    channel_id = world.tier2.default_channel_id

    hello = await double.inject_interaction(channel_id, world.alice.id, "hello")
    msg = await world.bounded(double.wait_for_message(channel_id, lambda m: m.content != ""))
    assert msg.content == f"hi, limit {50 * MIB}"
    assert hello.original_message_id == msg.id and hello.callbacks[0]["type"] == 4

    echo = await double.inject_interaction(
        channel_id, world.alice.id, "echo", {"text": "ab", "times": 2}
    )
    await world.bounded(double.wait_until(lambda: echo.followup_ids))
    assert echo.callbacks[0]["type"] == 5  # deferred ("thinking...")
    assert echo.original_message_id is not None
    assert double.message(echo.original_message_id).content == "working"
    assert double.message(echo.followup_ids[0]).content == "abab"


async def test_button_click_edits_the_message(world: World) -> None:
    double = world.double
    message = await world.channel(world.tier0).send("working", view=CancelView())
    stored = double.message(message.id)
    assert stored.components[0]["components"][0]["custom_id"] == "cancel"
    click = await double.click_button(message.id, "cancel", world.alice.id)
    await world.bounded(double.wait_until(lambda: stored.edits))
    assert click.callbacks[0]["type"] == 7
    assert (stored.content, stored.components) == ("cancelled", [])
