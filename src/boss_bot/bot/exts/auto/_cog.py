"""Automatic mode: a person's pasted link is handled as if `download` had been typed.

Where the server's ``auto`` setting applies (``channels``: its ``auto_channels`` and their
threads; ``everywhere``), a message from a person (not a bot or a webhook, not a command)
whose links route to a platform in ``auto_platforms`` gets those links (at most
``AUTO_MAX_LINKS``) submitted as jobs, with the same routing, quotas, dedup, fitting and
batching as a command. It is answered quietly: see :mod:`boss_bot.bot.quiet`. Someone who ran
`ignore-me` is left alone everywhere; so is anyone the server's roles rule keeps from
downloading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from boss_bot.bot.checks import parent_id, role_ids, sensitive_action
from boss_bot.bot.exts.auto._links import FoundLink, find_links
from boss_bot.bot.installs import anywhere
from boss_bot.bot.quiet import ALREADY_POSTED, REFUSED, quiet_post_for
from boss_bot.bot.views import is_admin
from boss_bot.core.errors import BossBotError, RefusedError
from boss_bot.core.jobs import JobRequest, platform_of
from boss_bot.core.pipeline import AlreadyPosted, Attachment
from boss_bot.core.urls import check_url

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot
    from boss_bot.core.guilds import GuildSettings

IGNORED = (
    "From now on I'll leave the links you post alone, everywhere. Run `ignore-me` again to undo."
)
NOT_IGNORED = "I'll handle the links you post again, where a server has automatic mode on."


class Auto(commands.Cog):
    """Links pasted in the channels a server chose are downloaded and posted by themselves."""

    def __init__(self, bot: BossBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.webhook_id is not None or message.guild is None:
            return
        if "http" not in message.content.lower():  # cheap: most messages carry no link
            return
        rules = await self.bot.guild_settings.get(message.guild.id)
        if not rules.auto_applies(message.channel.id, parent_id(message.channel)):
            return
        links = [link for link in find_links(message.content)
                 if rules.platform_auto(platform_of(link.url))]  # fmt: skip
        links = links[: self.bot.guild_settings.max_links]
        if not links or not rules.role_allowed(role_ids(message.author)):
            return
        if (await self.bot.get_context(message)).valid:
            return  # a prefix command: the command handles its own links
        if await self.bot.guild_settings.ignored(message.author.id):
            return
        await self._handle(message, links, rules)

    async def _handle(
        self, message: discord.Message, links: list[FoundLink], rules: GuildSettings
    ) -> None:
        bot = self.bot
        checked: list[tuple[str, bool]] = []
        for link in links:
            try:
                url = await check_url(
                    link.url, allow_private=bot.settings.allow_private_network_urls
                )
            except BossBotError:
                continue  # not a link we may fetch: a pasted link says nothing about it
            checked.append((url, link.spoiler))
        if not checked:
            return
        assert message.guild is not None
        post = quiet_post_for(bot, message, message.guild.id)
        post.hold()
        try:
            await post.begin()
            admin = is_admin(message.author, owner_ids=frozenset(bot.admin_ids))
            on_sensitive = sensitive_action(rules, message.channel)
            limit = message.guild.filesize_limit
            for url, spoiler in checked:  # one at a time, so the quota counts each in order
                request = JobRequest(
                    url=url,
                    user_id=message.author.id,
                    guild_id=message.guild.id,
                    channel_id=message.channel.id,
                    message_id=message.id,
                    auto=True,
                    spoiler=spoiler,
                    on_sensitive=on_sensitive,
                    too_big=rules.too_big,
                )
                attachment = Attachment(post.uploader(limit, message.author.id))
                try:
                    submitted = await bot.pipeline.submit(request, attachment=attachment,
                                                          admin=admin)  # fmt: skip
                except RefusedError:
                    post.mark(REFUSED)  # quota or a full queue: a reaction, not a message
                    continue
                if isinstance(submitted, AlreadyPosted):
                    post.mark(ALREADY_POSTED)
                    continue
                post.follow(submitted.id)
        finally:
            await post.release()

    @commands.hybrid_command(name="ignore-me")
    @anywhere()
    async def ignore_me(self, ctx: commands.Context[BossBot]) -> None:
        """Stop (or start again) handling the links you post without a command, everywhere."""
        ignored = not await self.bot.guild_settings.ignored(ctx.author.id)
        await self.bot.guild_settings.set_ignored(ctx.author.id, ignored)
        text = IGNORED if ignored else NOT_IGNORED
        if ctx.interaction is not None:
            await ctx.send(text, ephemeral=True)
        else:
            await ctx.reply(text, mention_author=False)
