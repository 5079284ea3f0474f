"""Migration 0007 (metrics.tool, metrics.fallback_tool, metrics.tool_attempts) on SQLite and
PostgreSQL: from an empty database, and from a database at 0006 holding a job and its metrics."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, inspect, select, text

from boss_bot.core.jobs import JobMetrics, JobRequest
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import build_store, open_store
from boss_bot.core.store.migrate import current_revision, head_revision, upgrade
from boss_bot.core.store.schema import Base, MetricRow
from boss_bot.core.tools.fallback import ToolAttempt

NEW_COLUMNS = {"tool", "fallback_tool", "tool_attempts"}


def _metrics_columns(conn: Connection) -> dict[str, Any]:
    return {c["name"]: c for c in inspect(conn).get_columns("metrics")}


def _differences(conn: Connection) -> list[Any]:
    """What autogenerate would still change about the metrics table."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    return [d for d in diffs if "metrics" in repr(d) and any(c in repr(d) for c in NEW_COLUMNS)]


async def test_an_empty_database_gets_the_tool_columns(store_settings: BossSettings) -> None:
    store = await open_store(store_settings)
    try:
        assert head_revision() >= "0007"
        assert await current_revision(store.engine) == head_revision()
        async with store.engine.connect() as conn:
            columns = await conn.run_sync(_metrics_columns)
            differences = await conn.run_sync(_differences)
        assert set(columns) >= NEW_COLUMNS
        assert all(columns[c]["nullable"] for c in NEW_COLUMNS)
        assert differences == []
    finally:
        await store.close()


async def test_a_database_at_0006_keeps_its_metrics_and_gains_the_tools(
    store_settings: BossSettings,
) -> None:
    store = build_store(store_settings)
    try:
        assert await upgrade(store.engine, "0006") == "0006"
        async with store.engine.begin() as conn:
            assert not NEW_COLUMNS & set(await conn.run_sync(_metrics_columns))
            await conn.execute(
                text("INSERT INTO jobs (id, user_id, url, platform, kind, options, status, stage,"
                     " priority, attempts, resumed, posted_batches, created_at) VALUES ('old1',"
                     " 5, 'https://x.com/a/status/1', 'twitter', 'download', :options,"
                     " 'succeeded', 'succeeded', 0, 1, :no, 1, :now)"),
                {"options": "{}", "no": False, "now": 1.0},
            )  # fmt: skip
            await conn.execute(
                text("INSERT INTO metrics (job_id, platform, method, bytes_downloaded,"
                     " compressed_files, bytes_uploaded, outcome, created_at) VALUES ('old1',"
                     " 'twitter', 'api', 10, 0, 10, 'success', :now)"),
                {"now": 1.0},
            )  # fmt: skip
        assert await upgrade(store.engine) == head_revision()
        async with store.engine.connect() as conn:
            old = (await conn.execute(select(MetricRow))).one()
        assert (old.outcome, old.tool, old.fallback_tool, old.tool_attempts) == (
            "success", None, None, None,
        )  # fmt: skip

        job = await store.queue.get("old1")
        assert job is not None and job.status == "succeeded"
        fresh = await store.queue.enqueue(JobRequest(url="https://x.com/b/status/2", user_id=6))
        attempts = (ToolAttempt("gallery-dl", "extractor_error", "failed"),
                    ToolAttempt.served("yt-dlp"))  # fmt: skip
        await store.metrics.record(JobMetrics(
            job_id=fresh.id, platform="twitter", outcome="success", tool="yt-dlp",
            fallback_tool=True, tool_attempts=attempts,
        ))  # fmt: skip
        stats = await store.metrics.stats(platform="twitter", days=3650 * 100)
        assert stats.count == 2  # the old row counts as a job; only the new one has tools
        assert [(t.tool, t.jobs) for t in stats.tools] == [("gallery-dl", 1), ("yt-dlp", 1)]
        assert await upgrade(store.engine) == head_revision()  # up to date: left alone
    finally:
        await store.close()
