"""The store: a persisted job queue, download history, metrics, quotas and per-server settings
(SQLAlchemy 2, async).

SQLite (WAL, busy timeout) at ``DATA_DIR/boss-bot.db`` by default; PostgreSQL through
``DATABASE_URL``. :func:`open_store` builds the engine and applies migrations; everything else
goes through the small objects hanging off :class:`Store`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import configure_mappers

from boss_bot.core.process import run_tool
from boss_bot.core.settings import BossSettings
from boss_bot.core.store.engine import make_engine, sessions
from boss_bot.core.store.guilds import GuildSettingsRows
from boss_bot.core.store.history import History, PriorPost, StoredFile
from boss_bot.core.store.job_rows import request_of
from boss_bot.core.store.limits import LearnedLimits
from boss_bot.core.store.metrics import JobMetrics, Metrics, Stats
from boss_bot.core.store.migrate import upgrade
from boss_bot.core.store.queue import Job, JobQueue, SqlJobQueue
from boss_bot.core.store.quotas import Quotas
from boss_bot.core.store.shard_leases import ShardLease, ShardLeases

MIB = 1024 * 1024


@dataclass
class Store:
    engine: AsyncEngine
    queue: SqlJobQueue
    history: History
    metrics: Metrics
    quotas: Quotas
    limits: LearnedLimits
    #: Per-server settings, their audit, user opt-outs and the settings version.
    guilds: GuildSettingsRows
    #: Which bot process runs which gateway shard (distributed mode).
    shards: ShardLeases

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> bool:
        """True when the database answers."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def chart_png(self, stats: Stats, out: Path) -> Path:
        """Draw the stats chart to ``out`` in a separate process (Pillow stays off the loop)."""
        await run_tool(
            [sys.executable, "-m", "boss_bot.core.store.chart", str(out)],
            tool="chart",
            timeout=30,
            stdin_data=json.dumps(stats.model_dump(mode="json")).encode(),
        )
        return out


def build_store(settings: BossSettings, engine: AsyncEngine | None = None) -> Store:
    engine = engine or make_engine(settings)
    made = sessions(engine)
    return Store(
        engine=engine,
        queue=SqlJobQueue(
            made,
            max_queue_size=settings.max_queue_size,
            max_per_user=settings.max_queued_per_user,
        ),
        history=History(made),
        metrics=Metrics(made),
        quotas=Quotas(
            made,
            user_limit=settings.user_rate_limit,
            user_window_seconds=settings.user_rate_window_seconds,
            guild_daily_bytes=settings.guild_daily_quota_mb * MIB,
        ),
        limits=LearnedLimits(made),
        guilds=GuildSettingsRows(made),
        shards=ShardLeases(made),
    )


async def open_store(settings: BossSettings, *, migrate: bool = True) -> Store:
    """Engine + migrations applied (the bot and bossctl call this at start).

    The ORM's mappers are configured here, once, off the event loop: SQLAlchemy would otherwise
    do it on the first ORM query (≈80 ms of CPU on the loop thread, measured as a loop stall
    under load by bench/load.py)."""
    store = build_store(settings)
    await asyncio.to_thread(configure_mappers)
    if migrate:
        await upgrade(store.engine)
    return store


__all__ = [
    "Job",
    "JobMetrics",
    "JobQueue",
    "PriorPost",
    "ShardLease",
    "ShardLeases",
    "Stats",
    "Store",
    "StoredFile",
    "build_store",
    "open_store",
    "request_of",
]
