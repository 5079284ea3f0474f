"""Settings: defaults, env parsing, readable errors, and generated docs that match the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from boss_bot.core import config_docs
from boss_bot.core.errors import ConfigurationError
from boss_bot.core.settings import BossSettings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_match_the_issue() -> None:
    s = load_settings(_env_file=None)
    assert s.command_prefix == "$"
    assert s.download_dir == Path("./downloads")
    assert s.data_dir == Path("./data")
    assert s.max_concurrent_downloads == 3
    assert s.download_api_fallback_to_cli is True
    assert s.allow_private_network_urls is False
    assert s.discord_token is None
    for platform in ("twitter", "reddit", "instagram", "youtube", "tiktok", "bluesky", "generic"):
        assert s.use_api_client(platform) is True, "API-direct is the default everywhere"


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = tmp_path / "custom.env"
    env.write_text("MAX_CONCURRENT_DOWNLOADS=5\nTWITTER_USE_API_CLIENT=false\n")
    monkeypatch.setenv("COMMAND_PREFIX", "!")
    s = load_settings(_env_file=env)
    assert (s.max_concurrent_downloads, s.command_prefix) == (5, "!")
    assert s.use_api_client("twitter") is False
    assert s.use_api_client("somewhere-else") is True  # generic flag


def test_invalid_value_is_one_readable_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_CONCURRENT_DOWNLOADS", "lots")
    with pytest.raises(ConfigurationError) as info:
        load_settings(_env_file=None)
    message = str(info.value)
    assert "MAX_CONCURRENT_DOWNLOADS" in message and "'lots'" in message
    assert "\n" not in message


def test_token_value_never_in_errors_or_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "sekrit.token.value")
    s = load_settings(_env_file=None)
    assert "sekrit" not in repr(s) and "sekrit" not in str(s.model_dump())
    monkeypatch.setenv("COMPRESSION_FFMPEG_PRESET", "warp-speed")
    with pytest.raises(ConfigurationError) as info:
        load_settings(_env_file=None)
    assert "sekrit" not in str(info.value)


def test_configuration_doc_is_generated_from_settings() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert doc == config_docs.render_markdown(), "run `make docs`"
    for name in BossSettings.model_fields:
        assert f"`{name.upper()}`" in doc


def test_env_sample_is_generated_and_loads() -> None:
    sample = ROOT / ".env.sample"
    assert sample.read_text(encoding="utf-8") == config_docs.render_env_sample(), "run `make docs`"
    s = load_settings(_env_file=sample)  # every default in the sample is valid as written
    assert s == load_settings(_env_file=None)
