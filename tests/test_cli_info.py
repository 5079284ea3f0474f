"""bossctl's read-only commands: version, doctor, config, strategies, sites, check-url."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boss_bot.cli.app import app

runner = CliRunner()
TOKEN = "MTIzNDU2Nzg5MDEy.Gabcde.very-secret-token-value-0123456789"


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env or {})


def test_version_json_names_every_component() -> None:
    result = invoke("version", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert set(found) == {"boss-bot", "discord.py", "yt-dlp", "gallery-dl", "ffmpeg"}
    assert found["ffmpeg"] != "not found"


def test_doctor_passes_with_tools_and_token(tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": TOKEN, "DOWNLOAD_DIR": str(tmp_path / "d"),
           "DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    before = invoke("doctor", env=env)
    assert before.exit_code == 1 and "✗ database" in before.stdout and "db upgrade" in before.stdout
    assert invoke("db", "upgrade", env=env).exit_code == 0
    result = invoke("doctor", env=env)
    assert result.exit_code == 0, result.output
    assert "✓ database" in result.stdout
    assert "✓ ffmpeg" in result.stdout and "✓ yt-dlp" in result.stdout
    assert TOKEN not in result.output and "****" in result.stdout
    assert (tmp_path / "d").is_dir()


def test_doctor_fails_on_missing_ffmpeg(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-ffmpeg")
    result = invoke("doctor", env={"DISCORD_TOKEN": TOKEN, "FFMPEG_PATH": missing})
    assert result.exit_code == 1
    assert f"✗ ffmpeg: {missing} not found" in result.stdout
    assert "FFMPEG_PATH" in result.stdout  # the fix hint


def test_doctor_flags_missing_cookie_file(tmp_path: Path) -> None:
    result = invoke(
        "doctor", env={"DISCORD_TOKEN": TOKEN, "YTDLP_COOKIES_FILE": str(tmp_path / "c.txt")}
    )
    assert result.exit_code == 1 and "✗ YTDLP_COOKIES_FILE" in result.stdout


def test_config_show_masks_secrets_and_names_sources(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / ".env").write_text("COMMAND_PREFIX=!\n")
    monkeypatch.chdir(tmp_path)
    result = invoke("config", "show", "--json", env={"DISCORD_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert TOKEN not in result.stdout
    assert rows["DISCORD_TOKEN"]["value"].startswith("****")
    assert rows["DISCORD_TOKEN"]["source"] == "environment"
    assert rows["COMMAND_PREFIX"] == {"name": "COMMAND_PREFIX", "value": "!", "source": ".env"}
    assert rows["MAX_CONCURRENT_DOWNLOADS"]["source"] == "default"


def test_config_check_reports_invalid_value() -> None:
    result = invoke("config", "check", env={"DOWNLOAD_TIMEOUT_SECONDS": "-5"})
    assert result.exit_code != 0
    ok = invoke("config", "check")
    assert ok.exit_code == 0 and "configuration ok" in ok.stdout


def test_strategies_lists_the_registry_in_order() -> None:
    result = invoke("strategies", "--json", env={"REDDIT_USE_API_CLIENT": "false"})
    rows = json.loads(result.stdout)
    assert [r["platform"] for r in rows] == [
        "twitter", "reddit", "instagram", "youtube", "tiktok", "bluesky", "generic",
    ]  # fmt: skip
    assert {r["platform"]: r["api"] for r in rows}["reddit"] is False
    assert "youtube-nocookie.com" in rows[3]["hosts"]
    assert rows[4]["hosts"] == "tiktok.com, tiktokv.com" and rows[4]["tool"] == "gallery-dl"
    assert "bsky.app" in rows[5]["hosts"] and "fxbsky.app" in rows[5]["hosts"]


def test_sites_search() -> None:
    result = invoke("sites", "reddit", "--json")
    found = json.loads(result.stdout)
    assert "reddit" in found["gallery-dl"] and "Reddit" in found["yt-dlp"]
    assert all("reddit" in s.lower() for s in found["gallery-dl"] + found["yt-dlp"])


@pytest.mark.parametrize(
    ("url", "strategy", "tool"),
    [
        ("https://youtu.be/dQw4w9WgXcQ", "youtube", "yt-dlp"),
        ("http://127.0.0.1:8000/clip.mp4", "generic", "yt-dlp"),
        ("http://127.0.0.1:8000/photo.jpg", "generic", "auto"),
        ("https://www.tiktok.com/@scout2015/photo/7253412088251534594", "tiktok", "gallery-dl"),
        ("https://www.tiktok.com/embed/6718335390845095173", "tiktok", "yt-dlp"),
        ("https://fxbsky.app/profile/bsky.app/post/3l6oveex3ii2l", "bluesky", "gallery-dl"),
    ],
)
def test_check_url_explains_routing(url: str, strategy: str, tool: str) -> None:
    result = invoke("check-url", url, "--json", env={"ALLOW_PRIVATE_NETWORK_URLS": "true"})
    report = json.loads(result.stdout)
    assert (report["strategy"], report["tool"]) == (strategy, tool)
    assert report["why"]
    if strategy == "bluesky":  # the embed fixer is rewritten before the tool sees it
        assert report["url"].startswith("https://bsky.app/profile/")
        assert report["media_key"] == "bluesky:bsky.app/3l6oveex3ii2l"


def test_check_url_refusal_exits_3_with_reason() -> None:
    result = invoke("check-url", "http://169.254.169.254/latest/meta-data", "--json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["accepted"] is False and "private" in report["refused_because"]
