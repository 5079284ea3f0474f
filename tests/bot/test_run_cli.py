"""`bossctl run`: token errors are one line and exit code 2; a good token connects."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boss_bot.cli.app import app
from tests.discord_double import DiscordDouble


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**keep, "DOWNLOAD_DIR": str(tmp_path / "dl"), **extra}


async def _bossctl_run(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "boss_bot", "run",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def test_missing_token_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run"], env={"DISCORD_TOKEN": ""})
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: DISCORD_TOKEN is not set (put it in .env or the environment)"
    ]


async def test_invalid_token_is_one_line_and_exit_2(tmp_path: Path) -> None:
    async with DiscordDouble(token="the-real-token") as double:
        proc = await _bossctl_run(
            _env(tmp_path, DISCORD_TOKEN="wrong", DISCORD_API_BASE_URL=double.api_base,
                 DISCORD_GATEWAY_URL=double.gateway_url)
        )  # fmt: skip
        _out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2, err.decode()
    lines = err.decode().strip().splitlines()
    assert lines[-1] == "error: Discord rejected DISCORD_TOKEN (invalid or revoked token)"
    assert "Traceback" not in err.decode()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
async def test_good_token_connects_and_stops_gracefully(tmp_path: Path, sig: int) -> None:
    async with DiscordDouble() as double:
        double.add_guild("g")
        proc = await _bossctl_run(
            _env(tmp_path, DISCORD_TOKEN=double.token, DISCORD_API_BASE_URL=double.api_base,
                 DISCORD_GATEWAY_URL=double.gateway_url)
        )  # fmt: skip
        try:
            await double.wait_for_gateway(timeout=60)
            proc.send_signal(sig)
            _out, err = await asyncio.wait_for(proc.communicate(), 30)
        finally:
            if proc.returncode is None:
                proc.kill()
                _out, err = await proc.communicate()
                raise AssertionError(f"bossctl run did not stop: {err.decode()[-2000:]}")
    assert proc.returncode == 0, err.decode()
    assert "stopping" in err.decode() and "Traceback" not in err.decode()
    assert double.gateway.connections, "it did connect"


async def test_sigusr1_prints_threads_and_tasks_and_the_bot_carries_on(tmp_path: Path) -> None:
    async with DiscordDouble() as double:
        double.add_guild("g")
        proc = await _bossctl_run(
            _env(tmp_path, DISCORD_TOKEN=double.token, DISCORD_API_BASE_URL=double.api_base,
                 DISCORD_GATEWAY_URL=double.gateway_url)
        )  # fmt: skip
        try:
            await double.wait_for_gateway(timeout=60)
            proc.send_signal(signal.SIGUSR1)
            await asyncio.sleep(1.0)  # the task dump runs on the loop, after the signal
            assert proc.returncode is None, "SIGUSR1 must not stop the bot"
            proc.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(proc.communicate(), 30)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.communicate()
    text = err.decode()
    assert proc.returncode == 0, text[-2000:]
    assert "Current thread 0x" in text and "(most recent call first)" in text
    assert re.search(r"asyncio: \d+ task\(s\)", text), text[-2000:]
    assert "--- task pipeline-pump: <coroutine object Scheduler.pump" in text  # the loop's tasks
