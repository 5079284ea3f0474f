"""`download` and `download-only`: parse links, hand them to the pipeline, report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from boss_bot.bot.checks import download_allowed
from boss_bot.bot.delivery import run_links
from boss_bot.bot.exts.downloads._links import MAX_LINKS_PER_MESSAGE, Link, parse_words

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


class Downloads(commands.Cog):
    """Download links and post the media here, fitted to this server's upload limit."""

    def __init__(self, bot: BossBot) -> None:
        self.bot = bot

    @commands.hybrid_command(name="download")
    @download_allowed()
    @app_commands.describe(
        url="One or more links (separate them with spaces)",
        upload="Post the files here (false: only save them in the archive)",
        force="Post it even if it was posted here recently",
    )
    async def download(
        self,
        ctx: commands.Context[BossBot],
        url: commands.Greedy[Link],
        upload: bool = True,
        force: bool = False,
    ) -> None:
        """Download links and post the media (compressed to fit when needed).

        Media already posted in this server within DEDUP_WINDOW_HOURS gets a link to that post
        instead; add `force=True` (or `--force`) to post it again.
        """
        links, upload, force = parse_words(url, upload=upload, force=force)
        await run_links(
            self.bot,
            ctx,
            links,
            kind="download" if upload else "download-only",
            upload=upload,
            force=force,
            max_links=MAX_LINKS_PER_MESSAGE,
        )

    @commands.hybrid_command(name="download-only")
    @download_allowed()
    @app_commands.describe(url="One or more links (separate them with spaces)")
    async def download_only(
        self, ctx: commands.Context[BossBot], url: commands.Greedy[Link]
    ) -> None:
        """Download links into the archive (DOWNLOAD_DIR) without posting them."""
        links, _, _ = parse_words(url, upload=False, force=False)
        await run_links(
            self.bot, ctx, links, kind="download-only", upload=False,
            max_links=MAX_LINKS_PER_MESSAGE,
        )  # fmt: skip
