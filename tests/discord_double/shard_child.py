"""A tiny AutoShardedBot run as its own process against a double, for multi-process
sharding tests: ``python -m tests.discord_double.shard_child TOKEN API GATEWAY ID COUNT``.

It answers ``$ping`` with ``pong [ID]`` and prints ``ready`` once connected."""

from __future__ import annotations

import asyncio
import sys

import discord
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route


class ChildBot(commands.AutoShardedBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None

    async def on_ready(self) -> None:
        print("ready", flush=True)


async def main(token: str, api: str, gateway: str, shard_id: int, shard_count: int) -> None:
    Route.BASE = api
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    intents = discord.Intents.default()
    intents.message_content = True
    bot = ChildBot(
        command_prefix="$",
        intents=intents,
        help_command=None,
        guild_ready_timeout=0.1,
        shard_count=shard_count,
        shard_ids=[shard_id],
    )

    @bot.command()
    async def ping(ctx: commands.Context[ChildBot]) -> None:
        await ctx.reply(f"pong {bot.shard_ids}")

    async with bot:
        await bot.start(token)


if __name__ == "__main__":
    token, api, gateway, shard_id, shard_count = sys.argv[1:6]
    asyncio.run(main(token, api, gateway, int(shard_id), int(shard_count)))
