"""`bossctl worker`: run jobs for a bot in distributed mode (QUEUE_BACKEND=redis).

Start as many as the machines allow, anywhere with Redis, PostgreSQL and Discord reachable;
each runs WORKER_CONCURRENCY jobs at once. ``--check`` is a health check for process managers
and docker-compose: exit 0 when at least one worker has reported in (arq's health key).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Annotated, Any

import typer

from boss_bot.cli.context import EXIT_FAILED, EXIT_USAGE, state
from boss_bot.cli.diagnostics import install_stack_dumps

if TYPE_CHECKING:
    from boss_bot.core.settings import BossSettings


def worker(
    ctx: typer.Context,
    check: Annotated[
        bool, typer.Option("--check", help="Print live workers and exit (0: at least one).")
    ] = False,
) -> None:
    """Run download/compress/upload jobs queued by the bot (needs QUEUE_BACKEND=redis)."""
    settings = state(ctx).settings()
    if settings.queue_backend != "redis":
        typer.echo(
            "error: `bossctl worker` is for distributed mode: set QUEUE_BACKEND=redis, REDIS_URL "
            "and a PostgreSQL DATABASE_URL (see docs/scaling.md)",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE)
    if check:
        raise typer.Exit(asyncio.run(_check(settings)))
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        typer.echo("error: DISCORD_TOKEN is not set (workers post with the bot's token)", err=True)
        raise typer.Exit(EXIT_USAGE)
    import aiohttp
    import discord

    from boss_bot.bot.remote import RestHost
    from boss_bot.core.distributed.worker import serve
    from boss_bot.core.logs import configure_logging

    configure_logging(settings, level=logging.DEBUG if state(ctx).debug else None)
    if not state(ctx).debug:
        logging.getLogger("discord").setLevel(logging.WARNING)

    async def start_http(store: Any, pipeline: Any) -> Any:
        # HTTP_ENABLED: /healthz, /readyz (store + ffmpeg; no gateway here) and /metrics of
        # this worker's jobs. API calls only write the shared store (no local scheduler).
        from boss_bot.http import start_if_enabled

        return await start_if_enabled(settings, store, pipeline=pipeline, submits=False)

    async def main() -> None:
        install_stack_dumps(asyncio.get_running_loop())  # kill -USR1: threads and tasks
        await serve(settings, lambda pipeline: RestHost(settings, pipeline), start_http)

    try:
        asyncio.run(main())
    except discord.LoginFailure:
        typer.echo("error: Discord rejected DISCORD_TOKEN (invalid or revoked token)", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except (aiohttp.ClientConnectionError, OSError) as exc:
        typer.echo(f"error: cannot reach a service the worker needs: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None


async def _check(settings: BossSettings) -> int:
    from boss_bot.core.distributed import Tickets

    tickets = await Tickets.connect(settings)
    try:
        alive = await tickets.health()
        waiting = await tickets.outstanding()
    finally:
        await tickets.close()
    for name, line in sorted(alive.items()):
        typer.echo(f"{name}  {line}")
    typer.echo(f"{len(alive)} worker(s) alive, {waiting} ticket(s) outstanding")
    return 0 if alive else EXIT_FAILED
