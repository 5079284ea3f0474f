"""`bossctl --help` stays cheap: what it imports is checked here; how long it takes is measured
by bench/cli_startup.py (timings belong there, not in an assert)."""

from __future__ import annotations

import subprocess
import sys

#: typer's rich help pulls these in (about 0.27 s); the CLI uses plain help instead.
RICH_HELP_MODULES = ("typer.rich_utils", "rich.markdown", "markdown_it")
HEAVY_MODULES = ("discord", "yt_dlp", "gallery_dl", "sqlalchemy", "alembic")

#: Runs `--help` of bossctl and of every command and sub-command in one fresh interpreter, then
#: prints the watched modules that were imported (one per line).
_SCRIPT = """
import contextlib, io, sys
import typer.main
from boss_bot.cli.app import app, main

def paths(command, prefix):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from paths(sub, [*prefix, name])

helped = 0
for path in paths(typer.main.get_command(app), []):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main([*path, "--help"])
    assert "Usage:" in out.getvalue(), (path, out.getvalue())
    helped += 1
print(f"helped {helped}")
for name in sys.argv[1:]:
    if name in sys.modules:
        print(name)
"""


def test_help_never_imports_rich_markdown_or_the_heavy_libraries() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *RICH_HELP_MODULES, *HEAVY_MODULES],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.splitlines()
    assert int(out[0].removeprefix("helped ")) > 20  # bossctl, its commands and sub-commands
    assert out[1:] == []


def test_help_lists_every_command_with_its_whole_one_line_help() -> None:
    """Plain help wraps a long one-line help instead of cutting it with "..."."""
    out = subprocess.run(
        [sys.executable, "-m", "boss_bot", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    commands = out.split("Commands:", 1)[1]
    assert "..." not in commands
    flat = " ".join(commands.split())
    for name, line in (
        ("download", "Download URL(s) into a directory and report what was saved."),
        ("worker", "Run download/compress/upload jobs queued by the bot (needs "
                   "QUEUE_BACKEND=redis)."),
        ("cleanup", "Remove stale request directories and orphaned temporary files; print what "
                    "was freed."),
        ("db", "Database maintenance."),
        ("dedup", "Find duplicate and placeholder files."),
    ):  # fmt: skip
        assert f"{name} {line}" in flat
    for name in ("run", "version", "doctor", "strategies", "sites", "check-url", "config",
                 "queue", "stats", "history", "compress"):  # fmt: skip
        assert f"\n  {name} " in commands
