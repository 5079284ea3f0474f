"""`stats [platform] [days=7]` and `yt-stats`: the store's metrics as an embed plus a chart.

The numbers come from ``Store.metrics.stats`` (the same as ``bossctl stats``); the chart is drawn
by ``Store.chart_png`` in a separate process into a private temp folder below the requests
directory, posted, and removed.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from boss_bot.bot.exts.stats._render import CHART_NAME, parse_stats_args, stats_embed
from boss_bot.core import paths

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


class StatsCog(commands.Cog, name="Stats"):
    """Download statistics."""

    def __init__(self, bot: BossBot) -> None:
        self.bot = bot

    async def show(self, ctx: commands.Context[BossBot], platform: str | None, days: float) -> None:
        stats = await self.bot.store.metrics.stats(platform=platform, days=days)
        if stats.count == 0:
            await ctx.send(embed=stats_embed(stats, with_chart=False))
            return
        if ctx.interaction is not None and not ctx.interaction.response.is_done():
            await ctx.defer()  # the chart takes a moment
        tmp = await asyncio.to_thread(paths.new_request_dir, self.bot.settings.requests_dir,
                                      "stats")  # fmt: skip
        try:
            chart = await self.bot.store.chart_png(stats, tmp / CHART_NAME)
            await ctx.send(
                embed=stats_embed(stats, with_chart=True),
                file=discord.File(chart, filename=CHART_NAME),
            )
        finally:
            await asyncio.to_thread(paths.remove_tree, tmp)

    @commands.hybrid_command(name="stats")
    @app_commands.describe(
        platform="A platform (youtube, twitter, …) or all", days="How many days back (default 7)"
    )
    async def stats(
        self, ctx: commands.Context[BossBot], platform: str | None = None, days: str | None = None
    ) -> None:
        """Download statistics: counts, timings, methods, bytes, compression, failures."""
        try:
            chosen, span = parse_stats_args(platform, days)
        except ValueError as exc:
            await ctx.send(str(exc))
            return
        await self.show(ctx, chosen, span)

    @commands.hybrid_command(name="yt-stats")
    @app_commands.describe(days="How many days back (default 7)")
    async def yt_stats(self, ctx: commands.Context[BossBot], days: str | None = None) -> None:
        """YouTube download statistics: count, success rate, durations, API/CLI split."""
        try:
            _, span = parse_stats_args("youtube", days)
        except ValueError as exc:
            await ctx.send(str(exc))
            return
        await self.show(ctx, "youtube", span)
