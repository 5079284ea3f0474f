"""What an operator sees of the migrations when the bot starts: one line per migration applied,
nothing when there is none, and none of Alembic's own INFO chatter; its warnings still show.

Each start is a fresh interpreter with logging set up as `bossctl run` does it, so what Alembic
logs only once per process (its "setup plugin …" lines) is seen as on a real start.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from boss_bot.core.logs import QUIET_LIBRARIES, configure_logging
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import build_store
from boss_bot.core.store.migrate import MIGRATIONS, current_revision, upgrade

#: `bossctl run`'s logging set-up (cli/run.py, without --debug), then the bot's start-up
#: migration (BossBot.setup_hook → open_store).
_START = """
import asyncio, logging, sys
from pathlib import Path

from boss_bot.core.logs import configure_logging
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store

settings = BossSettings(_env_file=None, data_dir=Path(sys.argv[1]))
configure_logging(settings)
logging.getLogger("discord").setLevel(logging.WARNING)


async def main() -> None:
    store = await open_store(settings)
    await store.close()


asyncio.run(main())
"""


def start(data_dir: Path) -> list[str]:
    """Start once on ``data_dir``; the log lines written (stderr, where `bossctl run` logs)."""
    result = subprocess.run(
        [sys.executable, "-c", _START, str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    return result.stderr.splitlines()


def revisions() -> list[str]:
    """Every revision, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def assert_applied(lines: list[str], expected: list[str]) -> None:
    """``lines`` are exactly one INFO line per revision in ``expected``, in order."""
    assert len(lines) == len(expected), "\n".join(lines)
    for line, revision in zip(lines, expected, strict=True):
        assert f" INFO    boss_bot.core.store.migrate: applied migration {revision} (" in line


async def test_a_first_start_logs_each_migration_once_and_a_second_start_nothing(
    make_settings: Callable[..., BossSettings], tmp_path: Path
) -> None:
    everything = revisions()
    assert len(everything) >= 3
    first = start(tmp_path / "data")
    assert not [line for line in first if "alembic" in line]  # no "setup plugin", "Context impl"
    assert_applied(first, everything)
    assert "applied migration 0001 (initial schema)" in first[0]
    assert start(tmp_path / "data") == []
    # An empty log means "nothing left to apply", not "migrated somewhere else".
    store = build_store(make_settings(data_dir=tmp_path / "data"))
    try:
        assert await current_revision(store.engine) == everything[-1]
    finally:
        await store.close()


async def test_only_the_migrations_still_missing_are_logged(
    make_settings: Callable[..., BossSettings], tmp_path: Path
) -> None:
    everything = revisions()
    old = build_store(make_settings(data_dir=tmp_path / "data"))
    try:
        await upgrade(old.engine, everything[0])  # a database from an older release
    finally:
        await old.close()
    assert_applied(start(tmp_path / "data"), everything[1:])


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put it back for the tests that follow."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LIBRARIES}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(("level", "info_shown"), [(None, False), (logging.DEBUG, True)])
def test_alembic_warnings_still_show_and_its_info_with_debug(
    make_settings: Callable[..., BossSettings], level: int | None, info_shown: bool
) -> None:
    out = io.StringIO()
    configure_logging(make_settings(), stream=out, level=level)
    alembic = logging.getLogger("alembic.runtime.migration")
    alembic.info("Context impl SQLiteImpl.")
    alembic.warning("a warning from alembic")
    alembic.error("an error from alembic")
    logging.getLogger("boss_bot.core.store.migrate").info("applied migration 0001 (x)")
    text = out.getvalue()
    assert "a warning from alembic" in text and "an error from alembic" in text
    assert ("Context impl" in text) is info_shown
    assert "applied migration 0001 (x)" in text
