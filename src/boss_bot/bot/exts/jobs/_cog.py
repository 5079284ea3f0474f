"""`status` lists jobs in flight; `cancel` stops one (your own, or any for admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from boss_bot.bot.checks import can_manage_job
from boss_bot.bot.exts.jobs._render import render_jobs
from boss_bot.bot.views import is_admin

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


class Jobs(commands.Cog):
    """Your downloads in flight."""

    def __init__(self, bot: BossBot) -> None:
        self.bot = bot

    @commands.hybrid_command(name="status")
    async def status(self, ctx: commands.Context[BossBot]) -> None:
        """List your jobs in flight (admins see everyone's)."""
        admin = is_admin(ctx.author, owner_ids=frozenset(self.bot.admin_ids))
        jobs = self.bot.pipeline.jobs(owner_id=None if admin else ctx.author.id)
        await ctx.send(render_jobs(jobs, everyone=admin))

    @commands.hybrid_command(name="cancel")
    @app_commands.describe(job="The job id shown in the status message")
    async def cancel(self, ctx: commands.Context[BossBot], job: str) -> None:
        """Cancel one of your jobs (admins can cancel any)."""
        found = self.bot.pipeline.registry.get(job.strip("`"))
        if found is None or not found.state.active:
            await ctx.send(f"No job `{job}` in flight.")
            return
        if not can_manage_job(ctx.author, found.owner_id, self.bot.admin_ids):
            await ctx.send("That isn't your job; only its owner or an admin can cancel it.")
            return
        self.bot.pipeline.cancel(found.id, by=ctx.author.id)
        await ctx.send(f"Cancelling `{found.id}`.")
