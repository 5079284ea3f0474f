"""`bossctl guild show|set|reset|export|import`: per-server settings, for operators.

The same operations as `$settings` in Discord, through the same core service
(:class:`~boss_bot.core.guilds.GuildSettingsService`), so a change made here is announced to a
running bot like one made there (at once with QUEUE_BACKEND=redis, else within
GUILD_SETTINGS_CACHE_SECONDS). Changes are recorded in the audit with no user (an operator).

A bad key, value or document is one ``error: …`` line naming what is valid, exit code 2, and
nothing is changed. ``--json`` output is documented in docs/cli.md.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from boss_bot.cli.context import EXIT_USAGE, state
from boss_bot.cli.output import emit_json
from boss_bot.cli.store_cmds import with_store

if TYPE_CHECKING:
    from boss_bot.core.guilds import Change, GuildSettings, GuildSettingsService

T = TypeVar("T")

guild_app = typer.Typer(
    help="Per-server settings: show, set, reset, export, import (as $settings does).",
    no_args_is_help=True,
)

GuildArg = Annotated[int, typer.Argument(min=1, help="The server (guild) id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _with_service(ctx: typer.Context, work: Callable[[GuildSettingsService], Awaitable[T]]) -> T:
    """Open the store and the settings service, run ``work``, close both. A SettingsError is
    bad input: one line, the usage exit code."""
    from boss_bot.core.errors import SettingsError
    from boss_bot.core.guilds import GuildSettingsService

    settings = state(ctx).settings()

    async def run(store: Any) -> T:
        service = GuildSettingsService(store, settings)
        try:
            return await work(service)
        finally:
            await service.close()

    try:
        return with_store(ctx, run)
    except SettingsError as exc:
        typer.echo(f"error: {exc.user_message}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


def _settings_json(guild_id: int, settings: GuildSettings) -> dict[str, Any]:
    return {"guild_id": str(guild_id), "settings": settings.export()}


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "key": change.key,
        "action": change.action,
        "old": change.old,
        "new": change.new,
        "by": None if change.by is None else str(change.by),
        "at": change.at,
    }


def _print_settings(settings: GuildSettings, defaults: GuildSettings) -> None:
    from boss_bot.core.guilds import KEYS, display

    for key in KEYS:
        mark = "*" if settings.value(key) != defaults.value(key) else " "
        typer.echo(f"{mark} {key:17} {display(key, settings.value(key), mentions=False)}")


@guild_app.command("show")
def show(
    ctx: typer.Context,
    guild_id: GuildArg,
    changes: Annotated[
        int, typer.Option("--changes", min=0, max=1000, help="How many recent changes to list.")
    ] = 5,
    as_json: JsonOpt = False,
) -> None:
    """A server's settings (* marks what it changed) and its latest changes."""

    async def work(service: GuildSettingsService) -> tuple[Any, Any, list[Change]]:
        return (
            await service.get(guild_id),
            service.defaults,
            await service.changes(guild_id, changes),
        )

    settings, defaults, recent = _with_service(ctx, work)
    if as_json:
        from boss_bot.core.guilds import KEYS

        emit_json(
            {
                **_settings_json(guild_id, settings),
                "changed": [k for k in KEYS if settings.value(k) != defaults.value(k)],
                "changes": [_change_json(c) for c in recent],
            }
        )
        return
    typer.echo(f"guild {guild_id} (* changed from the defaults):")
    _print_settings(settings, defaults)
    if recent:
        from boss_bot.core.guilds import describe_change

        typer.echo("latest changes:")
        for c in recent:
            when = datetime.fromtimestamp(c.at, UTC).strftime("%Y-%m-%d %H:%M:%S")
            who = "an operator" if c.by is None else f"user {c.by}"
            line = describe_change(c.key, c.old, c.new, mentions=False)
            typer.echo(f"  {when}  {c.action:6} by {who}: {line}")


@guild_app.command("set")
def set_(
    ctx: typer.Context,
    guild_id: GuildArg,
    key: Annotated[str, typer.Argument(help="auto, auto_channels, auto_platforms, …")],
    value: Annotated[
        list[str], typer.Argument(help="One or more words: ids, names, on/off; none clears.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Set one key: `bossctl guild set 123 auto_channels 456 789`."""
    settings = _with_service(ctx, lambda service: service.set(guild_id, key, value, by=None))
    _report(guild_id, settings, as_json, key=key.strip().lower())


@guild_app.command("reset")
def reset(
    ctx: typer.Context,
    guild_id: GuildArg,
    key: Annotated[str | None, typer.Argument(help="The key (none: every key).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Put one key, or every key, back to the default."""
    settings = _with_service(ctx, lambda service: service.reset(guild_id, key, by=None))
    _report(guild_id, settings, as_json, key=key.strip().lower() if key else None)


@guild_app.command("export")
def export(
    ctx: typer.Context,
    guild_id: GuildArg,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file, not stdout.")
    ] = None,
) -> None:
    """A server's settings as a JSON document (every key; ids as strings)."""
    from boss_bot.core.guilds import write_document

    text = write_document(_with_service(ctx, lambda service: service.export(guild_id)))
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"guild {guild_id}: settings written to {output}", err=True)


@guild_app.command("import")
def import_(
    ctx: typer.Context,
    guild_id: GuildArg,
    source: Annotated[str, typer.Argument(help="A JSON file, or - for stdin.")],
    as_json: JsonOpt = False,
) -> None:
    """Apply a settings document (as `export` writes it, or part of one), checked whole first."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: cannot read {source}: {getattr(exc, 'strerror', None) or exc}",
                   err=True)  # fmt: skip
        raise typer.Exit(EXIT_USAGE) from None
    settings = _with_service(ctx, lambda service: service.import_(guild_id, text, by=None))
    _report(guild_id, settings, as_json, key=None)


def _report(guild_id: int, settings: GuildSettings, as_json: bool, *, key: str | None) -> None:
    if as_json:
        emit_json(_settings_json(guild_id, settings))
        return
    if key is not None:
        from boss_bot.core.guilds import display

        typer.echo(f"guild {guild_id}: {key} = {display(key, settings.value(key), mentions=False)}")
        return
    from boss_bot.core.guilds import KEYS, display

    typer.echo(f"guild {guild_id}:")
    for name in KEYS:
        typer.echo(f"  {name:17} {display(name, settings.value(name), mentions=False)}")
