"""Who may use what: download commands (ALLOWED_CHANNEL_IDS / ALLOWED_ROLE_IDS) and admin ones."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord.ext import commands

from boss_bot.bot.errors import NotAllowedError
from boss_bot.bot.views import is_admin

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot

T = TypeVar("T")


def download_refusal(
    channel_id: int | None,
    parent_id: int | None,
    role_ids: Collection[int],
    *,
    allowed_channels: Collection[int],
    allowed_roles: Collection[int],
) -> str | None:
    """Why a download command is refused here, or None when it is allowed. Empty lists allow
    everything; a thread counts as its parent channel."""
    if allowed_channels and not ({channel_id, parent_id} & set(allowed_channels)):
        return "Downloads aren't enabled in this channel."
    if allowed_roles and not (set(role_ids) & set(allowed_roles)):
        return "You need one of the roles allowed to use downloads."
    return None


def download_allowed() -> Callable[[T], T]:
    """Check for download commands. Admins are subject to it too: it is about where and who."""

    async def predicate(ctx: commands.Context[BossBot]) -> bool:
        settings = ctx.bot.settings
        roles = [r.id for r in getattr(ctx.author, "roles", [])]
        reason = download_refusal(
            ctx.channel.id,
            getattr(ctx.channel, "parent_id", None),
            roles,
            allowed_channels=settings.allowed_channel_ids,
            allowed_roles=settings.allowed_role_ids,
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


def can_manage_job(user: discord.abc.User | Any, owner_id: int, admin_ids: Collection[int]) -> bool:
    return user.id == owner_id or is_admin(user, owner_ids=frozenset(admin_ids))
