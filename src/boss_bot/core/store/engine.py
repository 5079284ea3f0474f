"""The database engine: SQLite (WAL, busy timeout) by default, PostgreSQL with DATABASE_URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from boss_bot.core.settings import BossSettings

#: How long SQLite waits for a competing writer before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000


def database_url(settings: BossSettings) -> str:
    """DATABASE_URL, or the embedded SQLite file in DATA_DIR."""
    if settings.database_url:
        return settings.database_url
    return f"sqlite+aiosqlite:///{(settings.data_dir / 'boss-bot.db').resolve()}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(settings: BossSettings, **kwargs: Any) -> AsyncEngine:
    """An async engine for the store; SQLite gets WAL mode and a busy timeout per connection."""
    url = database_url(settings)
    if is_sqlite(url):
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, far fewer fsyncs
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def sessions(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
