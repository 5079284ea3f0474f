"""`bossctl run`: start the Discord bot in the foreground.

A missing or rejected token is the common first-run mistake, so each is one clear line on
stderr and exit code 2 (bad configuration), never a traceback. So is a shard another bot
process already runs (``--shard-ids`` / ``SHARD_IDS``, distributed mode): the process stops
before it connects to the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Annotated, Any

import typer

from boss_bot.cli.context import EXIT_FAILED, EXIT_USAGE, state
from boss_bot.cli.diagnostics import install_stack_dumps


def run(
    ctx: typer.Context,
    shard_ids: Annotated[
        str | None,
        typer.Option("--shard-ids", help="Shards this process runs, e.g. 0-3 (as SHARD_IDS)."),
    ] = None,
    shard_count: Annotated[
        str | None,
        typer.Option("--shard-count", help="Shards in all: a number or auto (as SHARD_COUNT)."),
    ] = None,
) -> None:
    """Start the Discord bot (needs DISCORD_TOKEN)."""
    overrides: dict[str, Any] = {}
    if shard_ids is not None:
        overrides["shard_ids"] = shard_ids
    if shard_count is not None:
        overrides["shard_count"] = shard_count
    settings = state(ctx).settings(**overrides)
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        typer.echo("error: DISCORD_TOKEN is not set (put it in .env or the environment)", err=True)
        raise typer.Exit(EXIT_USAGE)
    # Heavy imports here so `bossctl --help` stays fast.
    import aiohttp
    import discord

    from boss_bot.bot.client import BossBot
    from boss_bot.core.logs import configure_logging

    # LOG_FORMAT (json/text), job fields on every line, secrets redacted; --debug: DEBUG.
    configure_logging(settings, level=logging.DEBUG if state(ctx).debug else None)
    if not state(ctx).debug:
        logging.getLogger("discord").setLevel(logging.WARNING)
    # boss-bot has no voice features; don't warn that voice libraries are missing.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False

    async def main() -> None:
        bot = BossBot(settings)
        # Ctrl-C and SIGTERM (service managers) close the bot gracefully: jobs are cancelled and
        # cleaned up, the gateway closed, the workers stopped. Cancelling the main task instead
        # (asyncio.run's default for Ctrl-C) can be swallowed by a wait_for race on 3.11.
        loop = asyncio.get_running_loop()
        closing: list[asyncio.Task[None]] = []

        def stop() -> None:
            if not closing:
                typer.echo("stopping…", err=True)
                closing.append(loop.create_task(bot.close()))

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
                loop.add_signal_handler(sig, stop)
        install_stack_dumps(loop)  # kill -USR1 <pid>: every thread's and task's stack
        async with bot:
            await bot.start(settings.discord_token.get_secret_value())  # type: ignore[union-attr]
        if closing:
            await closing[0]
        if bot.stop_error is not None:  # it stopped by itself (a shard taken over)
            raise bot.stop_error

    try:
        asyncio.run(main())
    except discord.LoginFailure:
        typer.echo("error: Discord rejected DISCORD_TOKEN (invalid or revoked token)", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except aiohttp.ClientConnectionError as exc:
        typer.echo(f"error: cannot reach Discord: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
