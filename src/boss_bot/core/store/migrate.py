"""Alembic migrations, applied in-process (on start and by ``bossctl db upgrade``).

Alembic runs synchronously on a connection borrowed from the async engine
(``conn.run_sync``), the recipe its docs give for asyncio applications.

Alembic's own INFO lines are internals ("Context impl …", "setup plugin …") and are quietened by
:func:`boss_bot.core.logs.configure_logging`; what an operator needs is the one line this module
logs per migration applied, after its transaction has committed, and nothing when the database
was already up to date.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
#: PostgreSQL advisory-lock key that serialises concurrent migrations (any constant will do).
_MIGRATION_LOCK = 0x0B055B07


def _config(connection: Connection):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str) -> list[tuple[str, str]]:
    """Run the upgrade; returns ``(revision, description)`` of each migration applied."""
    from alembic import command

    applied: list[tuple[str, str]] = []

    def record(*, step: Any, **_: Any) -> None:  # alembic's on_version_apply hook (env.py)
        if step.is_migration and step.up_revision_id is not None:
            applied.append((step.up_revision_id, " ".join((step.up_revision.doc or "").split())))

    cfg = _config(connection)
    cfg.attributes["on_version_apply"] = record
    command.upgrade(cfg, revision)
    return applied


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


async def upgrade(engine: AsyncEngine, revision: str = "head") -> str | None:
    """Apply migrations up to ``revision``; returns the revision the database is at.

    Logs one INFO line per migration applied, once the transaction has committed (a failed
    upgrade raises instead, and claims nothing).
    """
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The bot and every worker migrate on start: one at a time (released at commit).
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        applied = await conn.run_sync(_upgrade, revision)
    for rev, description in applied:
        log.info("applied migration %s (%s)", rev, description)
    return await current_revision(engine)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)
