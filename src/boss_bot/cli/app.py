"""The `bossctl` typer app: global options, command registration, and the CLI's one error
handler (:func:`main`), which turns a :class:`BossBotError` into one ``error: …`` line.

Exit codes: 0 success, 1 a failed operation, 2 bad usage or configuration, 3 an unsupported or
refused URL. ``--debug`` shows tracebacks. Heavy libraries are imported inside commands only,
so ``bossctl --help`` stays fast; for the same reason help is click's plain text, not typer's rich
panels (:class:`HelpGroup`).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from boss_bot.cli import compress_cmd, guild_cmd, info, maintenance, store_cmds, worker_cmd
from boss_bot.cli import doctor as doctor_cmd
from boss_bot.cli import download as download_cmd
from boss_bot.cli import run as run_cmd
from boss_bot.cli.config_cmd import config_app
from boss_bot.cli.context import EXIT_FAILED, EXIT_USAGE, CliState, exit_code_for
from boss_bot.core.errors import BossBotError

if TYPE_CHECKING:
    from typer import _click  # typer's vendored click


class HelpGroup(TyperGroup):
    """Plain-text help that lists each command's whole one-line help.

    typer's rich help imports ``rich.markdown`` and ``markdown_it`` (about 0.27 s of the 0.3 s
    budget for ``bossctl --help``), so the app uses click's plain help (``rich_markup_mode=None``).
    Click cuts a command's line at the terminal width with "..."; this wraps it instead.
    """

    def format_commands(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        rows = [
            (name, cmd.get_short_help_str(limit=sys.maxsize))
            for name in self.list_commands(ctx)
            if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    name="bossctl",
    help="Run and maintain boss-bot.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    cls=HelpGroup,
    rich_markup_mode=None,  # sub-apps inherit it
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
app.add_typer(config_app, name="config", cls=HelpGroup)
app.add_typer(store_cmds.db_app, name="db", cls=HelpGroup)
app.add_typer(store_cmds.queue_app, name="queue", cls=HelpGroup)
app.command("stats")(store_cmds.stats)
app.command("history")(store_cmds.history)
app.add_typer(guild_cmd.guild_app, name="guild", cls=HelpGroup)
app.command("compress")(compress_cmd.compress)
app.command("cleanup")(maintenance.cleanup)
app.add_typer(maintenance.dedup_app, name="dedup", cls=HelpGroup)


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
