"""The one Discord error handler: every failure becomes a short reply, never a traceback.

Core errors (:class:`~boss_bot.core.errors.BossBotError`) carry a ``user_message`` written for
people; command-framework errors (a missing argument, a failed check) get a line of usage help;
anything else is a bug, answered with a reference id that is also in the log next to the full
traceback, so a user's report can be matched to it. Jobs log under their job id.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from boss_bot.core.errors import BossBotError

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot

log = logging.getLogger(__name__)


class NotAllowedError(commands.CheckFailure):
    """A permission check said no; ``str(exc)`` is the reply."""


def user_message_for(exc: BaseException) -> str | None:
    """The short reply for an error, or None when it is a bug (no detail may be shown)."""
    wrappers = (
        commands.CommandInvokeError,
        commands.HybridCommandError,
        app_commands.CommandInvokeError,
    )
    while isinstance(exc, wrappers):
        exc = exc.original
    if isinstance(exc, BossBotError):
        return exc.user_message
    if isinstance(exc, NotAllowedError):
        return str(exc)
    if isinstance(exc, commands.NotOwner | commands.MissingPermissions):
        return "Only the bot owner or someone with Manage Server can do that."
    if isinstance(exc, commands.NoPrivateMessage):
        return "That only works in a server."
    if isinstance(exc, commands.MissingRequiredArgument):
        return f"Missing `{exc.param.name}`."
    if isinstance(exc, commands.BadLiteralArgument):
        return f"`{exc.param.name}` must be one of: {', '.join(map(str, exc.literals))}."
    if isinstance(exc, commands.RangeError):
        return f"`{exc.value}` is out of range ({exc.minimum}–{exc.maximum})."
    if isinstance(exc, commands.BadBoolArgument):
        return f"`{exc.argument}` is not yes/no (use true or false)."
    if isinstance(exc, commands.UserInputError):
        return str(exc) or "I could not read that command."
    if isinstance(exc, commands.CheckAnyFailure):
        return "You are not allowed to do that."
    if isinstance(exc, commands.CheckFailure):
        return str(exc) or "You are not allowed to do that here."
    if isinstance(exc, commands.CommandOnCooldown):
        return f"Slow down: try again in {exc.retry_after:.0f} s."
    return None


def new_reference() -> str:
    return secrets.token_hex(4)


def usage(ctx: commands.Context[BossBot]) -> str:
    if ctx.command is None:
        return ""
    return f"Usage: `{ctx.clean_prefix}{ctx.command.qualified_name} {ctx.command.signature}`"


async def on_command_error(ctx: commands.Context[BossBot], error: commands.CommandError) -> None:
    """``Bot.on_command_error``: prefix commands and hybrid commands invoked either way."""
    if isinstance(error, commands.CommandNotFound):
        return  # someone else's `$word`, not ours
    message = user_message_for(error)
    if message is None:
        ref = new_reference()
        log.error("unexpected error in %s (ref %s)", ctx.command, ref, exc_info=error)
        message = f"Something went wrong on my side (reference `{ref}`)."
    else:
        log.info("command %s refused: %s", ctx.command, message)
        if isinstance(error, commands.UserInputError):
            message = f"{message} {usage(ctx)}".strip()
    await _reply(ctx, message)


async def on_app_command_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    """``CommandTree.on_error``: pure slash commands (hybrid ones go to on_command_error)."""
    message = user_message_for(error)
    if message is None:
        ref = new_reference()
        log.error("unexpected slash command error (ref %s)", ref, exc_info=error)
        message = f"Something went wrong on my side (reference `{ref}`)."
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error reply", exc_info=True)


async def _reply(ctx: commands.Context[BossBot], message: str) -> None:
    try:
        if ctx.interaction is not None:
            await ctx.send(message, ephemeral=True)
        else:
            await ctx.reply(message, mention_author=False)
    except discord.HTTPException:
        log.warning("could not deliver an error reply", exc_info=True)


def install(bot: BossBot) -> None:
    """Route both kinds of command errors through this module."""
    bot.tree.on_error = on_app_command_error  # type: ignore[method-assign]
