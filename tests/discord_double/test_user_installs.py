"""User installs and the interaction routes against real discord.py: message context menus,
user-installed commands where the bot is not (other guilds, private channels), the bot's
DM, follow-up limits, token expiry and the hand-over to a DM."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from . import MIB, Channel, DiscordDouble, Guild, Interaction, User
from .constants import MESSAGE_CONTEXT_MENU_COMMAND, USER_INSTALL_APP_PERMISSIONS
from .harness import QuietIdentify, Running, running

_URL = re.compile(r"https?://\S+")


class AppBot(QuietIdentify, commands.Bot):
    """``/download`` and "Download media", installable on guilds and user accounts."""

    def __init__(self, *, respond: bool = True) -> None:
        super().__init__(
            command_prefix="$",
            intents=discord.Intents.default(),
            help_command=None,
            guild_ready_timeout=0.1,
            max_messages=None,
        )
        self.seen: list[discord.Interaction] = []

        @self.tree.command()
        @app_commands.allowed_installs(guilds=True, users=True)
        @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
        async def download(interaction: discord.Interaction, url: str) -> None:
            self.seen.append(interaction)
            if respond:
                await interaction.response.defer(thinking=True)

        @app_commands.allowed_installs(guilds=True, users=True)
        @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
        async def download_media(
            interaction: discord.Interaction, message: discord.Message
        ) -> None:
            self.seen.append(interaction)
            links = _URL.findall(message.content) + [e.url for e in message.embeds if e.url]
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("found: " + " ".join(links))

        self.tree.add_command(
            app_commands.ContextMenu(name="Download media", callback=download_media)
        )


@dataclass
class World:
    run: Running
    home: Guild  # the bot is in it
    outside: Guild  # the bot is not
    alice: User
    bob: User
    make: Callable[[str, int], discord.File]

    @property
    def double(self) -> DiscordDouble:
        return self.run.double

    @property
    def bot(self) -> AppBot:
        return self.run.bot

    def channel(self, guild: Guild) -> Channel:
        return self.double.channels[guild.default_channel_id]

    async def invoked(self, interaction: Interaction) -> discord.Interaction:
        """The bot's discord.Interaction for an injected one, once it was acknowledged."""
        await self.run.until(lambda: interaction.callbacks)
        return next(i for i in self.bot.seen if i.id == interaction.id)


@pytest.fixture
async def world(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> AsyncIterator[World]:
    def make(name: str, size: int) -> discord.File:
        path = tmp_path / name
        path.write_bytes(os.urandom(size))
        return discord.File(path)

    async with DiscordDouble() as double:
        home = double.add_guild("home")
        outside = double.add_guild("outside", with_bot=False, premium_tier=2)
        alice, bob = double.add_user("alice"), double.add_user("bob")
        for guild in (home, outside):
            double.add_member(guild.id, alice.id)
            double.add_member(guild.id, bob.id)
        async with running(double, AppBot(), caplog=caplog) as run:
            yield World(run, home, outside, alice, bob, make)


async def test_sync_registers_install_types_and_context_menus(world: World) -> None:
    await world.bot.tree.sync()
    commands_ = {(c["name"], c["type"]): c for c in world.double.commands[None]}
    menu = commands_[("Download media", 3)]
    assert (menu["integration_types"], menu["contexts"]) == ([0, 1], [0, 1, 2])
    assert commands_[("download", 1)]["integration_types"] == [0, 1]


async def test_message_context_menu_sees_content_and_embed_links(world: World) -> None:
    double = world.double
    channel = world.channel(world.home)
    embed = {"type": "rich", "url": "https://b.test/2", "title": "preview"}
    sent = await double.send_user_message(
        channel.id, world.alice.id, "see https://a.test/1", embeds=[embed]
    )
    asked = await double.inject_message_command(
        channel.id, world.bob.id, "Download media", int(sent["id"])
    )
    await world.run.until(lambda: asked.followup_ids)
    assert asked.payload["data"]["target_id"] == sent["id"]
    assert asked.callbacks[0]["type"] == 5
    assert (
        double.message(asked.followup_ids[0]).content == "found: https://a.test/1 https://b.test/2"
    )
    assert double.message(asked.original_message_id or 0).type == MESSAGE_CONTEXT_MENU_COMMAND


async def test_user_installed_command_where_the_bot_is_not(world: World) -> None:
    double, bot = world.double, world.bot
    channel = world.channel(world.outside)
    asked = await double.inject_interaction(
        channel.id, world.alice.id, "download", {"url": "https://a.test/1"},
        install="user", attachment_size_limit=1 * MIB,
    )  # fmt: skip
    inter = await world.invoked(asked)
    assert asked.payload["authorizing_integration_owners"] == {"1": str(world.alice.id)}
    assert bot.get_guild(world.outside.id) is None  # READY/GUILD_CREATE left it out
    assert inter.guild_id == world.outside.id and inter.guild is not None
    assert isinstance(inter.channel, discord.TextChannel) and inter.channel.name == "general"
    assert inter.context.guild and inter.is_user_integration() and not inter.is_guild_integration()
    assert inter.filesize_limit == 1 * MIB
    assert inter.app_permissions.value == USER_INSTALL_APP_PERMISSIONS
    assert isinstance(inter.user, discord.Member) and inter.permissions.send_messages

    # The only way to post is the interaction: follow-ups, under its own limits.
    ok = await inter.followup.send(file=world.make("ok.bin", 1 * MIB), wait=True)
    assert double.message(ok.id).attachments[0].size == 1 * MIB
    with pytest.raises(discord.HTTPException) as info:
        await inter.followup.send(file=world.make("big.bin", 1 * MIB + 1))
    assert (info.value.status, info.value.code) == (413, 40005)
    with pytest.raises(discord.HTTPException) as info:
        await inter.followup.send(files=[world.make(f"f{i}.bin", 10) for i in range(11)])
    assert (info.value.status, info.value.code) == (400, 50035)
    with pytest.raises(discord.HTTPException) as info:
        await inter.edit_original_response(attachments=[world.make("big2.bin", 1 * MIB + 1)])
    assert info.value.status == 413
    original = await inter.original_response()  # GET .../messages/@original
    assert original.id == asked.original_message_id
    await inter.edit_original_response(content="done")
    assert double.message(original.id).content == "done"
    # Nothing of this reaches the bot's gateway, and the channel routes are closed to it.
    posted = {original.id, ok.id}
    assert not posted & {int(r.ref_id or 0) for r in double.dispatched("MESSAGE_CREATE")}
    with pytest.raises(discord.Forbidden) as forbidden:
        await bot.get_partial_messageable(channel.id).send("hello?")
    assert forbidden.value.code == 50001
    with pytest.raises(discord.Forbidden):
        await bot.fetch_guild(world.outside.id)


async def test_bot_dm_and_private_channel_contexts(world: World) -> None:
    double = world.double
    dm = double.dm_channel(world.alice.id)
    in_dm = await double.inject_interaction(dm.id, world.alice.id, "download", {"url": "u"})
    group = double.add_private_channel(world.alice.id, world.bob.id)
    in_group = await double.inject_interaction(
        group.id, world.bob.id, "download", {"url": "u"}, install="user"
    )
    dm_inter, group_inter = await world.invoked(in_dm), await world.invoked(in_group)
    assert (in_dm.context, in_dm.payload["authorizing_integration_owners"]) == (1, {"0": "0"})
    assert dm_inter.context.dm_channel and dm_inter.filesize_limit == 10 * MIB
    assert (in_group.context, in_group.payload["authorizing_integration_owners"]) == (
        2,
        {"1": str(world.bob.id)},
    )
    assert group_inter.context.private_channel and isinstance(group_inter.user, discord.User)
    assert isinstance(group_inter.channel, discord.DMChannel)
    await group_inter.followup.send("answered through the interaction")
    assert [m.content for m in double.messages(group.id)][-1] == "answered through the interaction"
    with pytest.raises(discord.Forbidden):
        await world.bot.get_partial_messageable(group.id).send("not a recipient")


async def test_expired_token_is_401_and_the_dm_takes_over(world: World) -> None:
    double, bot = world.double, world.bot
    channel = world.channel(world.outside)
    asked = await double.inject_interaction(
        channel.id, world.alice.id, "download", {"url": "u"}, install="user", token_ttl=0.3
    )
    inter = await world.invoked(asked)
    await inter.followup.send("still in time")
    await asyncio.sleep(0.35)
    for attempt in (inter.followup.send("too late"), inter.edit_original_response(content="x")):
        with pytest.raises(discord.HTTPException) as info:
            await attempt
        assert (info.value.status, info.value.code) == (401, 50027)
    assert asked.expired and asked.expired_calls == 2
    # The hand-over: a DM, which a user-installed app may send; DM limits apply.
    user = await bot.fetch_user(world.alice.id)
    await user.send("your file (the interaction expired)", file=world.make("clip.mp4", 2 * MIB))
    dm = double.dm_channel(world.alice.id)
    [handover] = double.bot_messages(dm.id)
    assert handover.attachments[0].size == 2 * MIB
    with pytest.raises(discord.HTTPException) as info:
        await user.send(file=world.make("huge.bin", 10 * MIB + 1))
    assert (info.value.status, info.value.code) == (413, 40005)

    shy = double.add_user("shy", accepts_dms=False)
    with pytest.raises(discord.Forbidden) as forbidden:
        await (await bot.fetch_user(shy.id)).send("hi")
    assert forbidden.value.code == 50007


async def test_expire_now_and_the_callback_deadline(caplog: pytest.LogCaptureFixture) -> None:
    async with DiscordDouble(callback_deadline=0.2) as double:
        guild = double.add_guild("g")
        bot = AppBot(respond=False)
        async with running(double, bot, caplog=caplog) as run:
            channel_id = guild.default_channel_id
            late = await double.inject_interaction(
                channel_id, double.app_owner.id, "download", {"url": "u"}
            )
            await run.until(lambda: bot.seen)
            await asyncio.sleep(0.25)
            with pytest.raises(discord.NotFound) as info:
                await bot.seen[0].response.send_message("late")
            assert info.value.code == 10062 and late.callbacks == []

            quick = await double.inject_interaction(
                channel_id, double.app_owner.id, "download", {"url": "u"}
            )
            await run.until(lambda: len(bot.seen) == 2)
            await bot.seen[1].response.defer()
            double.expire_interaction(quick)
            with pytest.raises(discord.HTTPException) as info:
                await bot.seen[1].followup.send("x")
            assert info.value.code == 50027
