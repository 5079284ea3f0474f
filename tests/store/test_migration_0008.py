"""Migration 0008 (jobs.stage_at, read by the stall watchdog) on SQLite and PostgreSQL: a job
running at 0007 gains an empty stage_at, so it is never reported stalled on the word of a clock
that did not run yet; the next stage change starts it."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, inspect, text

from boss_bot.core.jobs import stalled_for
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import build_store
from boss_bot.core.store.migrate import head_revision, upgrade
from boss_bot.core.store.schema import Base


def _jobs_columns(conn: Connection) -> dict[str, Any]:
    return {c["name"]: c for c in inspect(conn).get_columns("jobs")}


def _differences(conn: Connection) -> list[Any]:
    """What autogenerate would still change about jobs.stage_at."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    return [d for d in diffs if "stage_at" in repr(d)]


async def test_a_job_running_at_0007_gains_an_empty_stage_clock(
    store_settings: BossSettings,
) -> None:
    store = build_store(store_settings)
    try:
        assert await upgrade(store.engine, "0007") == "0007"
        long_ago = time.time() - 100_000
        async with store.engine.begin() as conn:
            assert "stage_at" not in await conn.run_sync(_jobs_columns)
            await conn.execute(
                text("INSERT INTO jobs (id, user_id, url, platform, kind, options, status, stage,"
                     " priority, attempts, resumed, posted_batches, created_at, started_at)"
                     " VALUES ('run1', 5, 'https://x.com/a/status/1', 'twitter', 'download',"
                     " :options, 'running', 'compressing', 0, 1, :no, 0, :then, :then)"),
                {"options": "{}", "no": False, "then": long_ago},
            )  # fmt: skip
        assert await upgrade(store.engine) == head_revision()
        async with store.engine.connect() as conn:
            column = (await conn.run_sync(_jobs_columns))["stage_at"]
            assert column["nullable"] and await conn.run_sync(_differences) == []
        job = await store.queue.get("run1")
        assert job is not None and job.stage_at is None
        assert stalled_for(job, time.time(), store_settings) is None  # no clock: not stalled
        await store.queue.set_stage("run1", "uploading 1/2")
        moved = await store.queue.get("run1")
        assert moved is not None and moved.stage_at is not None
        assert moved.stage_at > long_ago
        assert await upgrade(store.engine) == head_revision()  # up to date: left alone
    finally:
        await store.close()
