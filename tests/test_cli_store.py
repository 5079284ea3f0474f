"""bossctl's store commands, checked against the database they change."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from boss_bot.cli.app import app
from boss_bot.core.jobs import JobRequest
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import JobMetrics, open_store
from boss_bot.core.store.migrate import head_revision

runner = CliRunner()


def env(tmp_path: Path) -> dict[str, str]:
    return {"DATA_DIR": str(tmp_path / "data"), "DOWNLOAD_DIR": str(tmp_path / "dl")}


def run_store(tmp_path: Path, work):  # type: ignore[no-untyped-def]
    async def main():  # type: ignore[no-untyped-def]
        store = await open_store(BossSettings(_env_file=None, data_dir=tmp_path / "data"))  # type: ignore[call-arg]
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


def test_db_upgrade_creates_the_database(tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"], env=env(tmp_path))
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()} (was empty)" in result.stdout
    assert (tmp_path / "data" / "boss-bot.db").is_file()


def test_queue_list_cancel_retry_change_the_rows(tmp_path: Path) -> None:
    async def seed(store):  # type: ignore[no-untyped-def]
        a = await store.queue.enqueue(JobRequest(url="https://example.com/a", user_id=1))
        b = await store.queue.enqueue(JobRequest(url="https://example.com/b", user_id=2))
        return a.id, b.id

    a, b = run_store(tmp_path, seed)
    listed = runner.invoke(app, ["queue", "list", "--json"], env=env(tmp_path))
    assert {j["id"] for j in json.loads(listed.stdout)} == {a, b}

    assert runner.invoke(app, ["queue", "cancel", a], env=env(tmp_path)).exit_code == 0
    assert run_store(tmp_path, lambda s: s.queue.get(a)).status == "cancelled"
    again = runner.invoke(app, ["queue", "cancel", a], env=env(tmp_path))
    assert again.exit_code == 1 and "is cancelled" in again.output

    assert runner.invoke(app, ["queue", "retry", a], env=env(tmp_path)).exit_code == 0
    assert run_store(tmp_path, lambda s: s.queue.get(a)).status == "queued"
    queued = runner.invoke(
        app, ["queue", "list", "--status", "queued", "--json"], env=env(tmp_path)
    )
    assert len(json.loads(queued.stdout)) == 2
    missing = runner.invoke(app, ["queue", "retry", "nope"], env=env(tmp_path))
    assert missing.exit_code == 1 and "no job nope" in missing.output


def test_stats_and_history_json(tmp_path: Path) -> None:
    async def seed(store):  # type: ignore[no-untyped-def]
        for i, (outcome, secs) in enumerate([("success", 2.0), ("success", 4.0), ("timeout", 9.0)]):
            job = await store.queue.enqueue(JobRequest(url=f"https://youtu.be/{i}", user_id=i))
            await store.metrics.record(
                JobMetrics(
                    job_id=job.id,
                    platform="youtube",
                    method="api",
                    outcome=outcome,
                    download_seconds=secs,
                    bytes_downloaded=1000,
                )
            )
            await store.history.record_post(
                f"youtube:{i}", 77, job.id, f"https://discord.com/x/{i}"
            )

    run_store(tmp_path, seed)
    result = runner.invoke(app, ["stats", "--platform", "youtube", "--json"], env=env(tmp_path))
    stats = json.loads(result.stdout)
    assert (stats["count"], stats["succeeded"], stats["median_seconds"]) == (3, 2, 3.0)
    assert stats["top_failures"] == [["timeout", 1]]
    text = runner.invoke(app, ["stats"], env=env(tmp_path))
    assert "3 jobs, 2 succeeded (67%)" in text.stdout
    hist = runner.invoke(
        app, ["history", "--guild", "77", "--limit", "2", "--json"], env=env(tmp_path)
    )
    rows = json.loads(hist.stdout)
    assert len(rows) == 2 and all(r["guild_id"] == 77 for r in rows)
