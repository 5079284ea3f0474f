"""Admin commands: sync slash commands, reload extensions, clean up stale request files."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

from discord import app_commands
from discord.ext import commands

from boss_bot.bot.checks import admin_only
from boss_bot.bot.exts.admin._cleanup import MIN_AGE_SECONDS, remove_dirs, stale_request_dirs
from boss_bot.bot.installs import server_only
from boss_bot.bot.progress import human_bytes
from boss_bot.core.links import LINKS_DIR, expired_link_dirs

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


class Admin(commands.Cog):
    """Maintenance; owner or Manage Server only."""

    def __init__(self, bot: BossBot) -> None:
        self.bot = bot

    async def cog_check(self, ctx: commands.Context[BossBot]) -> bool:  # type: ignore[override]
        return await admin_only().predicate(ctx)  # type: ignore[attr-defined]

    @commands.hybrid_command(name="sync")
    @server_only()
    @app_commands.describe(scope="guild: this server only (instant); global: everywhere")
    async def sync(
        self, ctx: commands.Context[BossBot], scope: Literal["guild", "global"] = "guild"
    ) -> None:
        """Register the slash commands with Discord."""
        if scope == "guild" and ctx.guild is not None:
            self.bot.tree.copy_global_to(guild=ctx.guild)
            synced = await self.bot.tree.sync(guild=ctx.guild)
            await ctx.send(f"Synced {len(synced)} slash commands to this server.")
        else:
            synced = await self.bot.tree.sync()
            await ctx.send(f"Synced {len(synced)} slash commands globally (may take an hour).")

    @commands.hybrid_command(name="reload")
    @server_only()
    @app_commands.describe(extension="e.g. downloads; all when empty")
    async def reload(self, ctx: commands.Context[BossBot], extension: str | None = None) -> None:
        """Reload one extension, or all of them."""
        names = list(self.bot.extension_names)
        if extension:
            wanted = [n for n in names if n.rsplit(".", 1)[-1] == extension]
            if not wanted:
                short = ", ".join(n.rsplit(".", 1)[-1] for n in names)
                await ctx.send(f"No extension `{extension}` (have: {short}).")
                return
            names = wanted
        for name in names:
            await self.bot.reload_extension(name)
        await ctx.send(f"Reloaded {', '.join(n.rsplit('.', 1)[-1] for n in names)}.")

    @commands.hybrid_command(name="cleanup")
    @server_only()
    async def cleanup(self, ctx: commands.Context[BossBot]) -> None:
        """Delete request directories left behind (none of a job in flight)."""
        busy = self.bot.pipeline.work_dirs()
        min_age = 0.0 if not busy and not await self.bot.pipeline.jobs() else MIN_AGE_SECONDS
        root = self.bot.settings.requests_dir
        stale = await asyncio.to_thread(stale_request_dirs, root, in_use=busy, min_age=min_age)
        count, freed = await asyncio.to_thread(remove_dirs, stale)
        links_root = self.bot.settings.download_dir / LINKS_DIR
        expired = await asyncio.to_thread(expired_link_dirs, links_root)
        gone, freed_links = await asyncio.to_thread(remove_dirs, expired)
        text = f"Removed {count} request folder(s), {human_bytes(freed)} freed."
        if gone:
            text += f" Removed {gone} expired link(s), {human_bytes(freed_links)} freed."
        await ctx.send(text)
