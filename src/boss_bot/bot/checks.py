"""Who may use what, and what a server's settings mean here: download commands (the server's
``allowed_channels`` / ``denied_channels`` / ``allowed_roles``), admin ones, and what to do
with sensitive media in a channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord.ext import commands

from boss_bot.bot.errors import NotAllowedError
from boss_bot.bot.views import is_admin

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot
    from boss_bot.core.guilds import GuildSettings
    from boss_bot.core.jobs.requests import SensitiveAction

T = TypeVar("T")


def role_ids(member: object) -> list[int]:
    """The roles of a guild member (none for a user outside a guild)."""
    return [r.id for r in getattr(member, "roles", [])]


def parent_id(channel: object) -> int | None:
    """A thread's parent channel (a thread follows its parent's rules)."""
    return getattr(channel, "parent_id", None)


def age_restricted(channel: object) -> bool:
    """Is the channel age-restricted? A thread follows its parent (discord.py's ``is_nsfw``)."""
    is_nsfw = getattr(channel, "is_nsfw", None)
    return bool(is_nsfw()) if callable(is_nsfw) else False


async def server_rules(bot: BossBot, guild: discord.Guild | None) -> GuildSettings | None:
    """The server's settings, or None where none apply: DMs and group DMs, and servers the bot
    is not a member of (a user install used there)."""
    if guild is None or bot.get_guild(guild.id) is None:
        return None
    return await bot.guild_settings.get(guild.id)


def admin_here(bot: BossBot, user: object, guild: discord.Guild | None) -> bool:
    """The bot owner, or someone with Manage Server in a server the bot is a member of (Manage
    Server in a server that only installed the app for one person counts for nothing here)."""
    owners = frozenset(bot.admin_ids)
    if getattr(user, "id", None) in owners:
        return True
    if guild is None or bot.get_guild(guild.id) is None:
        return False
    return is_admin(user, owner_ids=owners)  # type: ignore[arg-type]


def sensitive_action(settings: GuildSettings | None, channel: object) -> SensitiveAction:
    """What to do with sensitive media posted in ``channel``: the server's rule there, or
    spoilers where no server settings apply (DMs)."""
    if settings is None:
        return "spoiler"
    return settings.sensitive_action(age_restricted=age_restricted(channel))


def download_allowed() -> Callable[[T], T]:
    """Check for download commands: the server's channel and role rules (nothing in DMs).
    Admins are subject to it too: it is about where and who."""

    async def predicate(ctx: commands.Context[BossBot]) -> bool:
        rules = await server_rules(ctx.bot, ctx.guild)
        if rules is None:
            return True
        reason = rules.download_refusal(
            ctx.channel.id, parent_id(ctx.channel), role_ids(ctx.author)
        )
        if reason is not None:
            raise NotAllowedError(reason)
        return True

    return commands.check(predicate)


def admin_only() -> Callable[[T], T]:
    """Bot owner, or Manage Server in this server."""

    async def predicate(ctx: commands.Context[BossBot]) -> bool:
        if ctx.author.id in ctx.bot.admin_ids or await ctx.bot.is_owner(ctx.author):
            return True
        if ctx.guild is not None and is_admin(ctx.author):
            return True
        raise NotAllowedError("Only the bot owner or someone with Manage Server can do that.")

    return commands.check(predicate)


def can_manage_job(user: discord.abc.User | Any, owner_id: int, *, admin: bool) -> bool:
    """The job's requester, or an admin here (see :func:`admin_here`)."""
    return bool(user.id == owner_id or admin)
