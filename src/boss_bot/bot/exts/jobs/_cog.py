"""`status`, `cancel`, `retry` and `priority`: jobs as the store knows them.

Everything reads and writes the persisted queue through the pipeline, so a job queued before a
restart, or cancelled with ``bossctl queue cancel``, looks the same here as one from a minute ago.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from boss_bot.bot.checks import admin_here, admin_only, can_manage_job
from boss_bot.bot.exts.jobs._render import render_jobs
from boss_bot.bot.installs import anywhere, server_only

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


class Jobs(commands.Cog):
    """Your downloads: in flight, cancel, retry."""

    def __init__(self, bot: BossBot) -> None:
        self.bot = bot

    def _admin(self, ctx: commands.Context[BossBot]) -> bool:
        return admin_here(self.bot, ctx.author, ctx.guild)

    @commands.hybrid_command(name="status")
    @anywhere()
    async def status(self, ctx: commands.Context[BossBot]) -> None:
        """List your jobs in flight (admins see everyone's)."""
        admin = self._admin(ctx)
        jobs = await self.bot.pipeline.jobs(user_id=None if admin else ctx.author.id)
        positions = await self.bot.pipeline.queue.positions()
        await ctx.send(render_jobs(jobs, everyone=admin, positions=positions))

    @commands.hybrid_command(name="cancel")
    @anywhere()
    @app_commands.describe(job="The job id shown in the status message")
    async def cancel(self, ctx: commands.Context[BossBot], job: str) -> None:
        """Cancel one of your jobs (admins can cancel any)."""
        found = await self.bot.pipeline.get(job.strip("`"))
        if found is None or not found.active:
            await ctx.send(f"No job `{job}` in flight.")
            return
        if not can_manage_job(ctx.author, found.user_id, admin=self._admin(ctx)):
            await ctx.send("That isn't your job; only its owner or an admin can cancel it.")
            return
        await self.bot.pipeline.cancel(found.id, by=ctx.author.id)
        await ctx.send(f"Cancelling `{found.id}`.")

    @commands.hybrid_command(name="retry")
    @app_commands.describe(job="The id of a failed or cancelled job")
    async def retry(self, ctx: commands.Context[BossBot], job: str) -> None:
        """Run a failed or cancelled job again (yours; admins can retry any)."""
        found = await self.bot.pipeline.get(job.strip("`"))
        if found is None:
            await ctx.send(f"No job `{job}`.")
            return
        if not can_manage_job(ctx.author, found.user_id, admin=self._admin(ctx)):
            await ctx.send("That isn't your job; only its owner or an admin can retry it.")
            return
        if found.status not in ("failed", "cancelled"):
            await ctx.send(f"Job `{found.id}` is {found.status}; only failed or cancelled jobs "
                           "can be retried.")  # fmt: skip
            return
        again = await self.bot.pipeline.retry(found.id)
        if again is None or again.status != "queued":
            await ctx.send(f"Job `{found.id}` could not be queued again.")
            return
        where = "" if again.channel_id == ctx.channel.id else f" (in <#{again.channel_id}>)"
        await ctx.send(f"Retrying `{again.id}`{where}.")

    @commands.hybrid_command(name="priority")
    @server_only()
    @admin_only()
    @app_commands.describe(job="A queued job's id", priority="Higher runs first within a round")
    async def priority(
        self, ctx: commands.Context[BossBot], job: str, priority: commands.Range[int, -10, 10]
    ) -> None:
        """Raise (or lower) a queued job's priority. Admins only."""
        found = await self.bot.pipeline.set_priority(job.strip("`"), priority)
        if found is None or found.status != "queued":
            await ctx.send(f"No queued job `{job}`.")
            return
        position = await self.bot.pipeline.position(found.id)
        await ctx.send(f"Job `{found.id}` now has priority {found.priority} "
                       f"(position {position}).")  # fmt: skip
