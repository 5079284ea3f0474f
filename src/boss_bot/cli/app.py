"""The `bossctl` typer app: entry point, global options and the one error handler of the CLI."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="bossctl",
    help="Run and maintain boss-bot.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Console-script entry point."""
    app()
