"""`bossctl config show|check`: the effective settings, masked, with where each came from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from boss_bot.cli.context import state
from boss_bot.cli.output import emit_json

config_app = typer.Typer(help="Show or validate the configuration.", no_args_is_help=True)


@config_app.command("show")
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print every setting (secrets masked) and its source: default, .env or environment."""
    from boss_bot.core.settings import SECRET_FIELDS, masked, value_sources

    cli = state(ctx)
    settings = cli.settings()
    sources = value_sources(cli.env_file or Path(".env"))
    rows = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        shown = masked(value) if name in SECRET_FIELDS else ("" if value is None else str(value))
        rows.append({"name": name.upper(), "value": shown, "source": sources[name]})
    if as_json:
        emit_json(rows)
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        typer.echo(f"{r['name']:{width}}  {r['value']:40}  ({r['source']})")


@config_app.command("check")
def check(ctx: typer.Context) -> None:
    """Validate the settings; exit 2 with a readable line if any value is invalid."""
    state(ctx).settings()  # raises ConfigurationError → "error: …", exit 2
    typer.echo("configuration ok")
