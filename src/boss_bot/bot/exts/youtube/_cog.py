"""YouTube commands: quality and audio-only, and playlists (`yt-stats` is in exts/stats)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from discord import app_commands
from discord.ext import commands

from boss_bot.bot.checks import download_allowed
from boss_bot.bot.delivery import run_links
from boss_bot.bot.installs import anywhere
from boss_bot.core.errors import BossBotError
from boss_bot.core.models import DownloadOptions
from boss_bot.core.strategies import strategy_for

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot

#: ``default``: the server's ``quality`` setting (720p unless its admins changed it).
Quality = Literal["default", "2160p", "1440p", "1080p", "720p", "480p", "360p", "best"]
NOT_YOUTUBE = "That isn't a YouTube link; `download` takes any link."


def is_youtube(url: str) -> bool:
    try:
        return strategy_for(url).name == "youtube"
    except BossBotError:
        return False


class YouTube(commands.Cog):
    """YouTube downloads with a chosen quality, and playlists."""

    def __init__(self, bot: BossBot) -> None:
        self.bot = bot

    async def _quality(self, ctx: commands.Context[BossBot], asked: str) -> str:
        """The quality asked for, or the server's default (the environment's in DMs)."""
        if asked != "default":
            return asked
        if ctx.guild is None:
            return self.bot.settings.guild_default_quality
        return (await self.bot.guild_settings.get(ctx.guild.id)).quality

    @commands.hybrid_command(name="yt-download")
    @anywhere()
    @download_allowed()
    @app_commands.describe(
        url="A YouTube video link", quality="Highest resolution to fetch",
        audio_only="Audio only (m4a)",
    )  # fmt: skip
    async def yt_download(
        self,
        ctx: commands.Context[BossBot],
        url: str,
        quality: Quality = "default",
        audio_only: bool = False,
    ) -> None:
        """Download a YouTube video at a chosen quality (or just its audio) and post it.

        `default` (or no quality) is the server's `quality` setting (720p unless changed).
        """
        if not is_youtube(url):
            await ctx.send(NOT_YOUTUBE)
            return
        options = DownloadOptions(quality=await self._quality(ctx, quality), audio_only=audio_only)
        await run_links(self.bot, ctx, [url], kind="yt-download", options=options)

    @commands.hybrid_command(name="yt-playlist")
    @download_allowed()
    @app_commands.describe(
        url="A YouTube playlist link", quality="Highest resolution to fetch",
        max_videos="How many videos, 1 to 25",
    )  # fmt: skip
    async def yt_playlist(
        self,
        ctx: commands.Context[BossBot],
        url: str,
        quality: Quality = "default",
        max_videos: commands.Range[int, 1, 25] = 5,
    ) -> None:
        """Download the first videos of a playlist; each is posted as soon as it finishes.

        The playlist is listed first (no download), then every video runs as its own job, so
        the first ones are posted while the later ones are still downloading.
        """
        if not is_youtube(url):
            await ctx.send(NOT_YOUTUBE)
            return
        async with ctx.typing():
            entries = await self.bot.manager.expand_playlist(url, max_items=max_videos)
        await run_links(
            self.bot,
            ctx,
            [e.url for e in entries],
            kind="yt-playlist",
            options=DownloadOptions(quality=await self._quality(ctx, quality)),
            one_file_per_message=True,
            max_links=max_videos,
        )
