"""`bossctl stats` shows success by platform × tool, and `bossctl doctor` warns (without failing)
when a platform's first tool failed more than half of its last 20 jobs: seeded metrics rows in
a real SQLite store, read by the real commands."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from boss_bot.cli.app import app
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store
from tests.support.tool_metrics import seed_story

runner = CliRunner()
TOKEN = "MTIzNDU2Nzg5MDEy.Gabcde.very-secret-token-value-0123456789"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"DATA_DIR": str(tmp_path / "data"), "DOWNLOAD_DIR": str(tmp_path / "dl"),
            "DISCORD_TOKEN": TOKEN, **extra}  # fmt: skip


def _seed(tmp_path: Path) -> None:
    async def main() -> None:
        store = await open_store(BossSettings(_env_file=None, data_dir=tmp_path / "data"))  # type: ignore[call-arg]
        try:
            await seed_story(store)
        finally:
            await store.close()

    asyncio.run(main())


def test_stats_show_each_platform_and_tool(tmp_path: Path) -> None:
    _seed(tmp_path)
    text = runner.invoke(app, ["stats", "--days", "3650"], env=_env(tmp_path))
    assert text.exit_code == 0, text.output
    assert "tools (platform × tool):" in text.stdout
    assert ("twitter gallery-dl: 14 jobs, 3 served, 10 failed, 1 answered — failing since "
            "Tue 2025-12-09 09:00 UTC") in text.stdout  # fmt: skip
    assert "twitter yt-dlp: 10 jobs, 10 served (10 as fallback), 0 failed — serving" in text.stdout

    as_json = runner.invoke(app, ["stats", "--days", "3650", "--json"], env=_env(tmp_path))
    tools = {(t["platform"], t["tool"]): t for t in json.loads(as_json.stdout)["tools"]}
    assert tools["twitter", "gallery-dl"]["failing_since"] is not None
    assert tools["twitter", "yt-dlp"]["as_fallback"] == 10


def test_doctor_warns_about_a_failing_primary_tool(tmp_path: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"], env=_env(tmp_path)).exit_code == 0
    healthy = runner.invoke(app, ["doctor"], env=_env(tmp_path))
    assert healthy.exit_code == 0, healthy.output
    assert "✓ tools: no platform's first tool failed more than half" in healthy.stdout

    _seed(tmp_path)
    result = runner.invoke(app, ["doctor"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output  # a warning, not a failed check
    warnings = [line for line in result.stdout.splitlines() if line.startswith("! tools")]
    assert warnings == [
        "! tools: twitter: gallery-dl failed 10 of its last 14 jobs (71%); another tool served "
        "10 of them  → update gallery-dl, or put another tool first in TWITTER_TOOLS"
    ]


def test_doctor_judges_the_configured_first_tool(tmp_path: Path) -> None:
    """With yt-dlp first for Twitter, gallery-dl's old failures are no primary's problem."""
    _seed(tmp_path)
    result = runner.invoke(app, ["doctor"], env=_env(tmp_path, TWITTER_TOOLS="yt-dlp,gallery-dl"))
    assert result.exit_code == 0, result.output
    assert "! tools" not in result.stdout and "✓ tools" in result.stdout


def test_strategies_show_the_tool_order(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["strategies", "--json"], env=_env(tmp_path, TWITTER_TOOLS="yt-dlp,gallery-dl")
    )
    tools = {r["platform"]: r["tools"] for r in json.loads(result.stdout)}
    assert tools["twitter"] == ["yt-dlp", "gallery-dl"]
    assert tools["reddit"] == ["gallery-dl", "yt-dlp"] and tools["generic"] == ["auto"]
