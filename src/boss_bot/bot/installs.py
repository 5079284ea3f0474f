"""Where a command can be used: installed on a server, on a person's account, or both.

Discord calls an app installed on a person's account a *user install*: its commands then work
in DMs, group DMs and servers that never invited the bot, where it may only answer through the
interaction (see :mod:`boss_bot.bot.interactions`). The downloads and the job commands a person
needs there are :func:`anywhere`; admin commands and settings are :func:`server_only`.
``$sync`` registers each command with these install types and contexts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from discord import app_commands

T = TypeVar("T")

#: User installs too, in every kind of place.
INSTALLS_ANYWHERE = app_commands.AppInstallationType(guild=True, user=True)
CONTEXTS_ANYWHERE = app_commands.AppCommandContext(
    guild=True, dm_channel=True, private_channel=True
)


def anywhere() -> Callable[[T], T]:
    """Installable on a person's account; usable in servers, DMs and group DMs."""

    def decorate(func: T) -> T:
        func = app_commands.allowed_installs(guilds=True, users=True)(func)
        return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)(func)

    return decorate


def server_only() -> Callable[[T], T]:
    """A server install's command, in servers only (admin commands, settings)."""

    def decorate(func: T) -> T:
        func = app_commands.allowed_installs(guilds=True, users=False)(func)
        return app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)(func)

    return decorate


__all__ = ["CONTEXTS_ANYWHERE", "INSTALLS_ANYWHERE", "anywhere", "server_only"]
