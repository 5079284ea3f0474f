"""Migration 0004 (per-server settings, the audit, opt-outs, the settings version, jobs.sensitive)
on SQLite and PostgreSQL: from an empty database, and from a database at 0003 holding jobs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, inspect, text

from boss_bot.core.guilds import GuildSettingsService
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import build_store, open_store
from boss_bot.core.store.migrate import current_revision, head_revision, upgrade
from boss_bot.core.store.schema import Base

NEW_TABLES = {"guild_settings", "guild_setting_changes", "user_opt_outs", "settings_version"}


def _shape(conn: Connection) -> dict[str, Any]:
    found = inspect(conn)
    return {
        "tables": set(found.get_table_names()),
        "jobs": {c["name"]: c for c in found.get_columns("jobs")},
        "indexes": {
            i["name"]
            for t in NEW_TABLES & set(found.get_table_names())
            for i in found.get_indexes(t)
        },
    }


def _differences(conn: Connection) -> list[Any]:
    """What autogenerate would still change for this migration's tables and column."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    ours = []
    for diff in compare_metadata(MigrationContext.configure(conn), Base.metadata):
        flat = repr(diff)
        if any(name in flat for name in NEW_TABLES) or "'sensitive'" in flat:
            ours.append(diff)
    return ours


async def test_an_empty_database_gets_the_settings_tables(store_settings: BossSettings) -> None:
    store = await open_store(store_settings)
    try:
        assert head_revision() >= "0004"
        assert await current_revision(store.engine) == head_revision()
        async with store.engine.connect() as conn:
            shape = await conn.run_sync(_shape)
            version = (await conn.execute(text("SELECT id, version FROM settings_version"))).all()
            differences = await conn.run_sync(_differences)
        assert shape["tables"] >= NEW_TABLES
        assert shape["jobs"]["sensitive"]["nullable"] is True
        assert "ix_guild_setting_changes_guild" in shape["indexes"]
        assert [tuple(row) for row in version] == [(1, 0)]
        assert differences == []
    finally:
        await store.close()


async def test_a_database_at_0003_keeps_its_jobs_and_gains_the_settings(
    store_settings: BossSettings,
) -> None:
    store = build_store(store_settings)
    try:
        assert await upgrade(store.engine, "0003") == "0003"
        async with store.engine.begin() as conn:
            assert "sensitive" not in (await conn.run_sync(_shape))["jobs"]
            await conn.execute(
                text("INSERT INTO jobs (id, user_id, url, platform, kind, options, status, stage,"
                     " priority, attempts, resumed, posted_batches, created_at) VALUES ('old1',"
                     " 5, 'https://example.com/a', 'generic', 'download', :options, 'succeeded',"
                     " 'succeeded', 0, 1, :no, 1, 1.0)"),
                {"options": "{}", "no": False},
            )  # fmt: skip
        assert await upgrade(store.engine) == head_revision()
        job = await store.queue.get("old1")
        assert job is not None and job.status == "succeeded" and job.user_id == 5
        async with store.engine.connect() as conn:
            sensitive = (await conn.execute(text("SELECT sensitive FROM jobs"))).scalar_one()
        assert sensitive is None

        service = GuildSettingsService(store, store_settings)
        await service.set(9, "auto", ["everywhere"], by=1)
        assert (await service.get(9)).auto == "everywhere"
        assert await store.guilds.version() == 1
        assert await upgrade(store.engine) == head_revision()  # up to date: left alone
    finally:
        await store.close()
