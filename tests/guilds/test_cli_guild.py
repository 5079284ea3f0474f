"""`bossctl guild show|set|reset|export|import` end to end (typer's CliRunner), checked against
the database they change: text and --json, files and stdin, and bad input refused in one line
with the usage exit code and nothing changed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from boss_bot.cli.app import app
from boss_bot.core.guilds import GuildSettings
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store

runner = CliRunner()
GUILD, OTHER = "123", "456"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"DATA_DIR": str(tmp_path / "data"), "DOWNLOAD_DIR": str(tmp_path / "dl")}


def bossctl(env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, ["guild", *args], env=env, input=stdin)


def stored(tmp_path: Path, guild: str = GUILD) -> tuple[dict[str, Any], int, int]:
    """The row, the number of audit entries and the settings version, read from the database."""

    async def main() -> tuple[dict[str, Any], int, int]:
        store = await open_store(BossSettings(_env_file=None, data_dir=tmp_path / "data"))  # type: ignore[call-arg]
        try:
            return (await store.guilds.overrides(int(guild)),
                    len(await store.guilds.changes(int(guild), 1000)),
                    await store.guilds.version())  # fmt: skip
        finally:
            await store.close()

    return asyncio.run(main())


def assert_usage_error(result: Any, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    line = result.stderr.strip()
    assert line.startswith("error: ") and "\n" not in line, result.stderr
    for word in words:
        assert word in line, (word, line)


def test_show_a_guild_that_changed_nothing(env: dict[str, str]) -> None:
    result = bossctl(env, "show", GUILD)
    assert result.exit_code == 0, result.output
    assert "guild 123" in result.stdout
    assert "  auto_platforms    twitter reddit instagram tiktok bluesky" in result.stdout
    shown = json.loads(bossctl(env, "show", GUILD, "--json").stdout)
    assert shown == {"guild_id": GUILD, "settings": GuildSettings().export(), "changed": [],
                     "changes": []}  # fmt: skip


def test_set_then_show_and_the_audit(env: dict[str, str], tmp_path: Path) -> None:
    result = bossctl(env, "set", GUILD, "auto_channels", "<#10>", "11,12")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "guild 123: auto_channels = 10 11 12"
    as_json = json.loads(bossctl(env, "set", GUILD, "auto", "channels", "--json").stdout)
    assert as_json["guild_id"] == GUILD and as_json["settings"]["auto"] == "channels"
    assert stored(tmp_path) == ({"auto_channels": ["10", "11", "12"], "auto": "channels"}, 2, 2)

    text = bossctl(env, "show", GUILD).stdout
    assert "* auto              channels" in text and "  quality           720p" in text
    assert "set    by an operator: auto: off → channels" in text
    shown = json.loads(bossctl(env, "show", GUILD, "--json", "--changes", "1").stdout)
    assert shown["changed"] == ["auto", "auto_channels"]
    assert [(c["key"], c["old"], c["new"], c["by"], c["action"]) for c in shown["changes"]] == [
        ("auto", "off", "channels", None, "set")
    ]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["set", GUILD, "colour", "red"], ["Unknown setting `colour`", "auto, auto_channels"]),
        (["set", GUILD, "auto", "maybe"], ["off, channels or everywhere"]),
        (["set", GUILD, "allowed_roles", "<#5>"], ["role mentions", "is a channel"]),
        (["set", GUILD, "auto_platforms", "myspace"], ["twitter", "bluesky"]),
        (["reset", GUILD, "colour"], ["Unknown setting", "quality"]),
    ],
)
def test_a_bad_key_or_value_is_one_line_exit_2_and_changes_nothing(
    env: dict[str, str], tmp_path: Path, args: list[str], words: list[str]
) -> None:
    assert bossctl(env, "set", GUILD, "quality", "480p").exit_code == 0
    before = stored(tmp_path)
    assert_usage_error(bossctl(env, *args), *words)
    assert stored(tmp_path) == before


def test_usage_errors_from_the_command_line_itself(env: dict[str, str]) -> None:
    assert bossctl(env, "set", GUILD, "auto").exit_code == 2  # no value
    assert bossctl(env, "show", "0").exit_code == 2  # not a guild id
    assert bossctl(env, "show", "abc").exit_code == 2


def test_export_import_into_another_guild_round_trips(env: dict[str, str], tmp_path: Path) -> None:
    for args in (["auto", "everywhere"], ["denied_channels", "7"], ["nsfw_spoiler", "off"],
                 ["auto_platforms", "reddit", "tiktok"]):  # fmt: skip
        assert bossctl(env, "set", GUILD, *args).exit_code == 0
    exported = bossctl(env, "export", GUILD)
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.stdout)
    assert list(document) == list(GuildSettings.model_fields)
    assert document["denied_channels"] == ["7"]

    path = tmp_path / "settings.json"
    written = bossctl(env, "export", GUILD, "-o", str(path))
    assert written.exit_code == 0 and written.stdout == ""
    assert json.loads(path.read_text()) == document

    imported = bossctl(env, "import", OTHER, str(path), "--json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout) == {"guild_id": OTHER, "settings": document}
    assert json.loads(bossctl(env, "export", OTHER).stdout) == document
    assert stored(tmp_path, OTHER)[0] == stored(tmp_path, GUILD)[0]


def test_import_from_stdin_sets_only_the_keys_it_names(env: dict[str, str], tmp_path: Path) -> None:
    assert bossctl(env, "set", GUILD, "quality", "480p").exit_code == 0
    result = bossctl(env, "import", GUILD, "-", stdin='{"original": "suppress"}')
    assert result.exit_code == 0, result.output
    assert "  original          suppress" in result.stdout
    assert stored(tmp_path)[0] == {"quality": "480p", "original": "suppress"}


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ('{"auto": "everywhere", "quality": "4k", "bogus": 1}',
         ["Nothing was changed", "`bogus`", "`quality` must be"]),
        ('{"auto": "everywhere",', ["not valid JSON"]),
        ('["auto"]', ["JSON object"]),
    ],
)  # fmt: skip
def test_a_bad_import_is_one_line_exit_2_and_changes_nothing(
    env: dict[str, str], tmp_path: Path, document: str, words: list[str]
) -> None:
    assert bossctl(env, "set", GUILD, "auto", "channels").exit_code == 0
    before = stored(tmp_path)
    path = tmp_path / "bad.json"
    path.write_text(document)
    assert_usage_error(bossctl(env, "import", GUILD, str(path)), *words)
    assert_usage_error(bossctl(env, "import", GUILD, "-", stdin=document), *words)
    assert stored(tmp_path) == before


def test_an_import_file_that_cannot_be_read(env: dict[str, str], tmp_path: Path) -> None:
    assert_usage_error(bossctl(env, "import", GUILD, str(tmp_path / "missing.json")),
                       "cannot read")  # fmt: skip


def test_reset_one_key_and_every_key(env: dict[str, str], tmp_path: Path) -> None:
    for args in (["auto", "everywhere"], ["quality", "best"], ["allowed_roles", "<@&9>"]):
        assert bossctl(env, "set", GUILD, *args).exit_code == 0
    one = bossctl(env, "reset", GUILD, "quality")
    assert one.exit_code == 0 and one.stdout.strip() == "guild 123: quality = 720p"
    assert stored(tmp_path)[0] == {"auto": "everywhere", "allowed_roles": ["9"]}
    every = json.loads(bossctl(env, "reset", GUILD, "--json").stdout)
    assert every["settings"] == GuildSettings().export()
    assert stored(tmp_path) == ({}, 6, 5)  # 6 keys changed in 5 writes
