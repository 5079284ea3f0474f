"""bossctl for real: CliRunner and subprocesses against the local media server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boss_bot.cli.app import app
from tests.conftest import tool_processes
from tests.support.media_server import MediaServer

runner = CliRunner()


def bossctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "boss_bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**_base_env(), **(env or {})},
    )


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}


def test_module_help_runs() -> None:
    result = bossctl("--help")
    assert result.returncode == 0
    assert "download" in result.stdout


def test_download_json_saves_file_and_prints_metadata(
    media_server: MediaServer, media_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = bossctl(
        "download", media_server.url("clip.mp4"), "-o", str(out), "--json",
        env={"ALLOW_PRIVATE_NETWORK_URLS": "true"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [meta] = json.loads(result.stdout)  # nothing but JSON on stdout
    [f] = meta["files"]
    assert Path(f["path"]).parent == out.resolve()
    assert f["size_bytes"] == (media_dir / "clip.mp4").stat().st_size
    assert Path(f["path"]).read_bytes() == (media_dir / "clip.mp4").read_bytes()
    assert meta["download_method"] == "api"
    assert [p.name for p in out.iterdir()] == [Path(f["path"]).name]


def test_download_cli_path_flag(media_server: MediaServer, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["download", media_server.url("photo.jpg"), "-o", str(tmp_path), "--cli", "--json"],
        env={"ALLOW_PRIVATE_NETWORK_URLS": "true"},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["download_method"] == "cli"
    assert (tmp_path / "photo.jpg").is_file()


@pytest.mark.parametrize(
    ("url", "code", "fragment"),
    [
        ("ftp://127.0.0.1/x.mp4", 3, "only http and https"),
        ("http://127.0.0.1:9/x.mp4", 3, "private or local network"),
        ("not a url", 3, "spaces"),
        ("example.com/clip.mp4", 3, "http"),
    ],
)
def test_bad_url_is_one_line_no_traceback(
    tmp_path: Path, url: str, code: int, fragment: str
) -> None:
    result = bossctl("download", url, "-o", str(tmp_path))
    assert result.returncode == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0].lower()
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_option_injection_url_is_refused(tmp_path: Path) -> None:
    result = bossctl("download", "--", "-o/etc/passwd", "-o", str(tmp_path))
    assert result.returncode == 3
    assert "can't start with '-'" in result.stderr


def test_not_found_exits_1_and_leaves_nothing(media_server: MediaServer, tmp_path: Path) -> None:
    result = bossctl(
        "download", media_server.url("nope.mp4"), "-o", str(tmp_path),
        env={"ALLOW_PRIVATE_NETWORK_URLS": "true"},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: ") and "not found" in result.stderr
    assert list(tmp_path.iterdir()) == []
    assert tool_processes() == []


def test_invalid_setting_exits_2_naming_it(tmp_path: Path) -> None:
    result = bossctl("download", "http://example.com/a.mp4", env={"MAX_FILE_SIZE_MB": "huge"})
    assert result.returncode == 2
    assert "MAX_FILE_SIZE_MB" in result.stderr and "Traceback" not in result.stderr


def test_usage_error_exits_2() -> None:
    result = bossctl("download", "--quality", "9p", "http://example.com/a")
    assert result.returncode == 2
