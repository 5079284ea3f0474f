"""The `bossctl` typer app: global options, command registration, and the CLI's one error
handler (:func:`main`), which turns a :class:`BossBotError` into one ``error: …`` line.

Exit codes: 0 success, 1 a failed operation, 2 bad usage or configuration, 3 an unsupported or
refused URL. ``--debug`` shows tracebacks. Heavy libraries are imported inside commands only,
so ``bossctl --help`` stays fast.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from boss_bot.cli import compress_cmd, info, maintenance, store_cmds, worker_cmd
from boss_bot.cli import doctor as doctor_cmd
from boss_bot.cli import download as download_cmd
from boss_bot.cli import run as run_cmd
from boss_bot.cli.config_cmd import config_app
from boss_bot.cli.context import EXIT_FAILED, EXIT_USAGE, CliState, exit_code_for
from boss_bot.core.errors import BossBotError

app = typer.Typer(
    name="bossctl",
    help="Run and maintain boss-bot.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


@app.callback()
def _global(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    env_file: Annotated[
        Path | None, typer.Option("--env-file", help="Read settings from this file, not .env.")
    ] = None,
) -> None:
    """Run and maintain boss-bot."""
    ctx.obj = CliState(debug=debug, env_file=env_file)
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


app.command("download")(download_cmd.download)
app.command("run")(run_cmd.run)
app.command("worker")(worker_cmd.worker)
app.command("version")(info.version_cmd)
app.command("doctor")(doctor_cmd.doctor)
app.command("strategies")(info.strategies_cmd)
app.command("sites")(info.sites_cmd)
app.command("check-url")(info.check_url_cmd)
app.add_typer(config_app, name="config")
app.add_typer(store_cmds.db_app, name="db")
app.add_typer(store_cmds.queue_app, name="queue")
app.command("stats")(store_cmds.stats)
app.command("history")(store_cmds.history)
app.command("compress")(compress_cmd.compress)
app.command("cleanup")(maintenance.cleanup)
app.add_typer(maintenance.dedup_app, name="dedup")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, print core errors as one line."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        # Without standalone mode click returns (not raises) the code of a typer.Exit.
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:
            raise SystemExit(code)
    except BossBotError as exc:
        if debug:
            raise
        typer.echo(f"error: {exc.user_message}", err=True)
        raise SystemExit(exit_code_for(exc)) from None
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        raise SystemExit(130) from None
    except SystemExit:
        raise
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        raise SystemExit(EXIT_FAILED) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.TyperException as exc:  # usage errors: typer prints them, exit code 2
        exc.show()  # type: ignore[attr-defined]
        raise SystemExit(getattr(exc, "exit_code", EXIT_USAGE)) from None
    except Exception as exc:
        if debug:
            raise
        typer.echo(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug)", err=True)
        raise SystemExit(EXIT_FAILED) from None
