"""Sharding against real discord.py: /gateway/bot, AutoShardedBot with one connection per
shard, two processes' worth of bots splitting the shards, events only on the owning shard,
invalid shards, and a double serving thousands of guilds."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from . import DiscordDouble, Guild, User, shard_of
from .harness import QuietIdentify, running


class ShardBot(QuietIdentify, commands.AutoShardedBot):
    def __init__(self, **kwargs: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(
            command_prefix="$",
            intents=intents,
            help_command=None,
            guild_ready_timeout=0.1,
            max_messages=None,
            **kwargs,
        )

        @self.command()
        async def ping(ctx: commands.Context[ShardBot]) -> None:
            await ctx.reply(f"pong {self.shard_ids}")

        @self.tree.command()
        async def hello(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"hi {self.shard_ids}")


def four_guilds(double: DiscordDouble) -> tuple[list[Guild], User]:
    guilds = [double.add_guild(f"g{i}") for i in range(4)]
    alice = double.add_user("alice")
    for guild in guilds:
        double.add_member(guild.id, alice.id)
    return guilds, alice


async def ping_everywhere(double: DiscordDouble, guilds: list[Guild], alice: User) -> None:
    for guild in guilds:
        await double.send_user_message(guild.default_channel_id, alice.id, "$ping")
    dm = double.dm_channel(alice.id)
    await double.send_user_message(dm.id, alice.id, "$ping")
    channels = [g.default_channel_id for g in guilds] + [dm.id]
    await double.wait_until(lambda: all(double.bot_messages(c) for c in channels), 10)
    await asyncio.sleep(0.2)  # a second answer, if any, would arrive now
    assert [len(double.bot_messages(c)) for c in channels] == [1] * 5  # exactly once each


async def test_auto_sharded_bot_asks_gateway_bot_and_opens_one_connection_per_shard(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with DiscordDouble(recommended_shards=2) as double:
        guilds, alice = four_guilds(double)
        assert sorted(shard_of(g.id, 2) for g in guilds) == [0, 0, 1, 1]  # spread by default
        bot = ShardBot()
        async with running(double, bot, caplog=caplog, shards=2) as run:
            assert [r.status for r in double.requests_to("GET", "/gateway/bot")] == [200]
            assert sorted(c.shard for c in double.gateway.connections) == [(0, 2), (1, 2)]
            for shard in (0, 1):
                created = double.dispatched("GUILD_CREATE", shard_id=shard)
                expected = [g.id for g in guilds if shard_of(g.id, 2) == shard]
                assert [r.guild_id for r in created] == expected
            for guild in guilds:
                assert bot.get_guild(guild.id).shard_id == shard_of(guild.id, 2)  # type: ignore[union-attr]
            await run.bounded(ping_everywhere(double, guilds, alice), 15)
            for shard in (0, 1):
                got = {r.guild_id for r in double.dispatched("MESSAGE_CREATE", shard_id=shard)}
                owned = {g.id for g in guilds if shard_of(g.id, 2) == shard}
                assert got - {None} == owned
                assert (None in got) == (shard == 0)  # DMs: shard 0 only

            epoch = double.gateway_epoch
            assert await double.drop_connection(shard_id=1) == 1
            await run.bounded(double.wait_for_gateway(after=epoch, shards=2))
            assert [c.kind for c in double.gateway.connections if c.shard_id == 1] == [
                "identify",
                "resume",
            ]


async def test_two_bots_split_the_shards_and_answer_once(caplog: pytest.LogCaptureFixture) -> None:
    async with DiscordDouble() as double:
        guilds, alice = four_guilds(double)
        bots = [ShardBot(shard_count=2, shard_ids=[i]) for i in (0, 1)]
        async with running(double, *bots, caplog=caplog, shards=2) as run:
            assert double.requests_to("GET", "/gateway/bot") == []  # shard_count given
            for i, bot in enumerate(bots):
                assert sorted(g.id for g in bot.guilds) == sorted(
                    g.id for g in guilds if shard_of(g.id, 2) == i
                )
            await run.bounded(ping_everywhere(double, guilds, alice), 15)
            for guild in guilds:
                [reply] = double.bot_messages(guild.default_channel_id)
                assert reply.content == f"pong [{shard_of(guild.id, 2)}]"
            [dm_reply] = double.bot_messages(double.dm_channel(alice.id).id)
            assert dm_reply.content == "pong [0]"

            asked = [
                await double.inject_interaction(g.default_channel_id, alice.id, "hello")
                for g in guilds
            ]
            await run.until(lambda: all(i.callbacks for i in asked))
            for guild, interaction in zip(guilds, asked, strict=True):
                assert len(interaction.callbacks) == 1
                owner = shard_of(guild.id, 2)
                assert [r.ref_id for r in double.dispatched("INTERACTION_CREATE", shard_id=owner)
                        ].count(str(interaction.id)) == 1  # fmt: skip
                assert double.message(interaction.original_message_id or 0).content == (
                    f"hi [{owner}]"
                )


async def test_invalid_shard_and_sharding_required(caplog: pytest.LogCaptureFixture) -> None:
    async with DiscordDouble(max_guilds_per_shard=2) as double:
        for i in range(3):
            double.add_guild(f"g{i}")
        async with aiohttp.ClientSession() as session:
            for shard, code in (([2, 2], 4010), (None, 4011), ([0, 2], None)):
                async with session.ws_connect(double.gateway_url) as ws:
                    hello = await ws.receive_json(timeout=5)
                    assert hello["op"] == 10
                    identify: dict[str, Any] = {"token": double.token, "intents": 1}
                    if shard is not None:
                        identify["shard"] = shard
                    await ws.send_json({"op": 2, "d": identify})
                    frame = await ws.receive(timeout=5)
                    if code is None:
                        assert json.loads(frame.data)["t"] == "READY"
                    else:
                        assert (frame.type, ws.close_code) == (aiohttp.WSMsgType.CLOSE, code)
        with double.patch_discord():
            plain = commands.Bot(command_prefix="$", intents=discord.Intents.default())
            try:
                with pytest.raises(discord.ConnectionClosed) as info:
                    await asyncio.wait_for(plain.start(double.token), 10)
                assert info.value.code == 4011
            finally:
                await plain.close()


async def test_thousands_of_guilds_stay_cheap() -> None:
    """2,500 guilds with realistic channels and roles, big member counts, few members sent:
    configuration and GUILD_CREATE for one shard in seconds, not minutes."""
    started = time.perf_counter()
    async with DiscordDouble(guild_create_members="bot", recommended_shards=2) as double:
        owner = double.add_user("owner")
        for i in range(2500):
            guild = double.add_guild(
                f"g{i}", owner_id=owner.id, channel_names=(), member_count=5000
            )
            category = double.add_category(guild.id, "text")
            for name in ("general", "links", "memes", "clips", "art", "music", "nsfw", "bots"):
                double.add_text_channel(
                    guild.id, name, category_id=category.id, nsfw=name == "nsfw"
                )
            for name in ("voice", "afk"):
                double.add_voice_channel(guild.id, name)
            for name in ("admin", "mod", "dj", "member", "muted", "verified", "bots", "vip"):
                double.add_role(guild.id, name)
        configured = time.perf_counter() - started
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(double.gateway_url, max_msg_size=0) as ws,
        ):
            await ws.receive_json(timeout=5)
            identify = {"token": double.token, "intents": 1, "shard": [1, 2]}
            await ws.send_json({"op": 2, "d": identify})
            ready = await ws.receive_json(timeout=30)
            creates = []
            while len(creates) < len(ready["d"]["guilds"]):
                frame = await ws.receive_json(timeout=30)
                creates.append(frame["d"])
        total = time.perf_counter() - started
    assert len(creates) == 1250 and all(shard_of(int(g["id"]), 2) == 1 for g in creates)
    sample = creates[0]
    assert (len(sample["channels"]), len(sample["roles"]), len(sample["members"])) == (11, 9, 1)
    assert sample["member_count"] == 5000 and sample["large"] is True
    print(f"2,500 guilds: configured in {configured:.1f} s, shard 1 served in {total:.1f} s")
    assert total < 20, total  # about 1 s here; minutes would mean something quadratic


async def test_shards_in_two_processes(caplog: pytest.LogCaptureFixture) -> None:
    """Shard 1 in a child process, shard 0 here: each command answered once, by its owner."""
    async with DiscordDouble() as double:
        guilds, alice = four_guilds(double)
        root = Path(__file__).resolve().parents[2]
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.discord_double.shard_child",
            double.token, double.api_base, double.gateway_url, "1", "2",
            cwd=root, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert child.stdout is not None
            line = await asyncio.wait_for(child.stdout.readline(), 30)
            assert line.strip() == b"ready"
            async with running(
                double, ShardBot(shard_count=2, shard_ids=[0]), caplog=caplog, shards=2
            ) as run:
                await run.bounded(ping_everywhere(double, guilds, alice), 15)
                for guild in guilds:
                    [reply] = double.bot_messages(guild.default_channel_id)
                    assert reply.content == f"pong [{shard_of(guild.id, 2)}]"
        finally:
            if child.returncode is None:
                child.terminate()
                try:
                    await asyncio.wait_for(child.wait(), 10)
                except TimeoutError:
                    child.kill()
                    await child.wait()
