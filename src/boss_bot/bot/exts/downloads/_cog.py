"""`download` and `download-only`: parse links, hand them to the pipeline, report."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from boss_bot.bot.checks import download_allowed, parent_id, role_ids, server_rules
from boss_bot.bot.delivery import run_links
from boss_bot.bot.exts.downloads._links import (
    MAX_LINKS_PER_MESSAGE,
    Link,
    message_links,
    parse_words,
)
from boss_bot.bot.installs import CONTEXTS_ANYWHERE, INSTALLS_ANYWHERE, anywhere

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


NO_LINK = "That message has no link I can download."


class Downloads(commands.Cog):
    """Download links and post the media here, fitted to this server's upload limit."""

    def __init__(self, bot: BossBot) -> None:
        self.bot = bot
        # "Download media" in a message's Apps menu (a context menu cannot be a cog method).
        self.menu = app_commands.ContextMenu(
            name="Download media",
            callback=self.download_media,
            allowed_installs=INSTALLS_ANYWHERE,
            allowed_contexts=CONTEXTS_ANYWHERE,
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def download_media(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """Every link in a message (its text and its embeds), as `download` jobs for whoever
        clicked; answered through the interaction (and by DM after 15 minutes)."""
        links = message_links(message)
        if not links:
            await interaction.response.send_message(NO_LINK, ephemeral=True)
            return
        rules = await server_rules(self.bot, interaction.guild)
        refusal = rules and rules.download_refusal(
            interaction.channel_id, parent_id(interaction.channel), role_ids(interaction.user)
        )
        if refusal:
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        # The context's author is the message's author: the clicker is the requester.
        ctx = await commands.Context.from_interaction(interaction)
        await interaction.response.defer(thinking=True)  # at once: Discord waits 3 s at most
        await run_links(
            self.bot, ctx, links, kind="download", max_links=MAX_LINKS_PER_MESSAGE,
            requester=interaction.user,
        )  # fmt: skip

    @commands.hybrid_command(name="download")
    @download_allowed()
    @anywhere()
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
