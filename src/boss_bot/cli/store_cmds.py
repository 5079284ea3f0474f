"""bossctl commands on the store: `db upgrade`, `queue list|cancel|retry`, `stats`, `history`.

Each opens the store (applying migrations, as the bot does on start), works through the core's
store objects, and closes it. ``--json`` output is documented in docs/cli.md.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from boss_bot.cli.context import state
from boss_bot.cli.output import emit_json

if TYPE_CHECKING:
    from boss_bot.core.store import Store

T = TypeVar("T")

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
queue_app = typer.Typer(help="Inspect and manage the job queue.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def with_store(
    ctx: typer.Context, work: Callable[[Store], Awaitable[T]], *, migrate: bool = True
) -> T:
    """Open the store, run ``work`` on it, close it (one event loop per command)."""
    from boss_bot.core.store import open_store

    settings = state(ctx).settings()

    async def main() -> T:
        store = await open_store(settings, migrate=migrate)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply database migrations (the bot also does this on start)."""
    from boss_bot.core.store.migrate import current_revision, upgrade

    async def work(store: Store) -> tuple[str | None, str | None]:
        before = await current_revision(store.engine)
        return before, await upgrade(store.engine)

    before, after = with_store(ctx, work, migrate=False)
    typer.echo(f"database at revision {after} (was {before or 'empty'})")


@queue_app.command("list")
def queue_list(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="queued, running, uploading, succeeded, failed, cancelled, or active."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List jobs, newest first."""
    from boss_bot.core.jobs import stalled_for

    settings = state(ctx).settings()
    jobs = with_store(ctx, lambda s: s.queue.list(status=status, limit=limit))
    now = time.time()
    stalled = {j.id: stalled_for(j, now, settings) is not None for j in jobs}
    if as_json:  # every field but the interaction's reply (its token is a credential)
        emit_json([{**{k: v for k, v in j.__dict__.items() if k != "reply"},
                    "stalled": stalled[j.id]} for j in jobs])  # fmt: skip
        return
    if not jobs:
        typer.echo("no jobs")
    for j in jobs:
        status = "stalled" if stalled[j.id] else j.status
        typer.echo(f"{j.id}  {status:10} {j.kind:13} user {j.user_id:<20} "
                   f"{_when(j.created_at)}  {j.url}")  # fmt: skip


@queue_app.command("cancel")
def queue_cancel(ctx: typer.Context, job_id: str) -> None:
    """Cancel a queued or running job (a running bot stops its work on its next check)."""

    async def work(store: Store) -> tuple[Any, bool]:
        job = await store.queue.get(job_id)
        if job is None or not job.active:
            return job, False
        return await store.queue.cancel(job_id, by=0), True

    _report(job_id, *with_store(ctx, work))


@queue_app.command("retry")
def queue_retry(ctx: typer.Context, job_id: str) -> None:
    """Put a failed or cancelled job back in the queue."""

    async def work(store: Store) -> tuple[Any, bool]:
        job = await store.queue.get(job_id)
        if job is None or job.status not in ("failed", "cancelled"):
            return job, False
        return await store.queue.retry(job_id), True

    _report(job_id, *with_store(ctx, work))


def _report(job_id: str, job: Any, changed: bool) -> None:
    if job is None:
        typer.echo(f"error: no job {job_id}", err=True)
        raise typer.Exit(1)
    if not changed:
        typer.echo(f"error: job {job_id} is {job.status}", err=True)
        raise typer.Exit(1)
    typer.echo(f"job {job_id} is now {job.status}")


def stats(
    ctx: typer.Context,
    platform: Annotated[str | None, typer.Option("--platform", help="Only this platform.")] = None,
    days: Annotated[float, typer.Option("--days", min=0.01, max=3650)] = 7,
    as_json: JsonOpt = False,
) -> None:
    """Download statistics: counts, timings, methods, bytes, compression, failures."""
    result = with_store(ctx, lambda s: s.metrics.stats(platform=platform, days=days))
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    from boss_bot.core.stats_text import stats_lines

    for line in stats_lines(result):
        typer.echo(line)


def history(
    ctx: typer.Context,
    guild: Annotated[int | None, typer.Option("--guild", help="Only this server.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """What was posted where, newest first (the deduplication history)."""
    rows = with_store(ctx, lambda s: s.history.list(guild_id=guild, limit=limit))
    if as_json:
        emit_json(rows)
        return
    if not rows:
        typer.echo("no history")
    for r in rows:
        typer.echo(f"{_when(r['posted_at'])}  guild {r['guild_id']}  {r['media_key']}  "
                   f"job {r['job_id']}  {r['jump_url'] or '-'}")  # fmt: skip
