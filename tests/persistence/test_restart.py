"""Restart recovery for real: `python -m boss_bot run` against the Discord double is SIGKILLed
in the middle of a (dripped) download, started again, and must finish the job, say so, and
leave no partial file behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from boss_bot.core.paths import is_partial
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store
from tests.bot.pipeline_support import eventually
from tests.discord_double import DiscordDouble, StoredMessage
from tests.persistence.conftest import SlowClip

START_TIMEOUT = 60.0
READY_LINE = "connected as boss-bot"


def _env(tmp_path: Path, double: DiscordDouble) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {
        **keep,
        "DISCORD_TOKEN": double.token,
        "DISCORD_API_BASE_URL": double.api_base,
        "DISCORD_GATEWAY_URL": double.gateway_url,
        "DOWNLOAD_DIR": str(tmp_path / "dl"),
        "DATA_DIR": str(tmp_path / "data"),
        "ALLOW_PRIVATE_NETWORK_URLS": "true",
        "MAX_CONCURRENT_DOWNLOADS": "1",  # one warm worker: a faster start on 2 cores
        "LOG_LEVEL": "INFO",
    }


async def _start(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as sink:  # a file, not a pipe: a chatty bot can never block on it
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "boss_bot", "run", env=env, stdout=sink, stderr=sink,
        )  # fmt: skip


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await asyncio.wait_for(proc.wait(), 30)


async def _ready(log: Path, times: int) -> None:
    """The bot logged its ``on_ready`` (guilds in its cache: commands are heard) ``times``."""
    await eventually(
        lambda: log.read_text(errors="replace").count(READY_LINE) >= times, START_TIMEOUT, 0.1
    )


def _partials(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and is_partial(p)] if root.exists() else []


async def test_sigkill_mid_download_then_restart_resumes_the_job(
    tmp_path: Path, slow_clip: SlowClip
) -> None:
    log = tmp_path / "bot.log"
    async with DiscordDouble() as double:
        guild = double.add_guild("g", premium_tier=2)
        alice = double.add_user("alice")
        double.add_member(guild.id, alice.id)
        channel = guild.default_channel_id
        env = _env(tmp_path, double)
        requests_dir = tmp_path / "dl" / ".requests"
        procs: list[asyncio.subprocess.Process] = []
        try:
            procs.append(await _start(env, log))
            await _ready(log, 1)
            asked = await double.send_user_message(channel, alice.id, f"$download {slow_clip.url}")

            def status() -> StoredMessage | None:
                return next((m for m in double.bot_messages(channel) if m.reference
                             and int(m.reference["message_id"]) == int(asked["id"])),
                            None)  # fmt: skip

            first = await double.wait_until(status, 30)
            job_id = first.content.split("`")[1]
            # Kill it while the tool is writing its .part file, i.e. mid-download.
            [partial] = await eventually(lambda: _partials(requests_dir), 30, 0.02)
            epoch = double.gateway_epoch
            procs[0].send_signal(signal.SIGKILL)
            await asyncio.wait_for(procs[0].wait(), 10)
            assert partial.exists(), "the crash left a partial file (that the restart removes)"

            settings = BossSettings(_env_file=None, data_dir=tmp_path / "data",  # type: ignore[call-arg]
                                    download_dir=tmp_path / "dl")  # fmt: skip
            store = await open_store(settings)
            try:
                crashed = await store.queue.get(job_id)
            finally:
                await store.close()
            assert crashed is not None and crashed.status == "running"
            assert crashed.work_dir and Path(crashed.work_dir) in partial.parents

            procs.append(await _start(env, log))
            await double.wait_for_gateway(after=epoch, timeout=START_TIMEOUT)

            def finished() -> StoredMessage | None:
                m = double.message(first.id)
                ended = any(line[:1] in ("✅", "❌", "🚫") for line in m.content.split("\n"))
                return m if ended else None

            final = await double.wait_until(finished, 60)
        finally:
            for proc in procs:
                await _stop(proc)
        bot_log = log.read_text(errors="replace")
        assert "✅ Done" in final.content, (final.content, bot_log[-3000:])
        assert "Resumed after a restart" in final.content
        assert any("Resumed after a restart" in e.content for e in final.edits)
        posts = [m for m in double.bot_messages(channel) if m.attachments]
        assert len(posts) == 1
        assert posts[0].attachments[0].sha256 == _sha256(slow_clip.path)
        assert "Traceback" not in bot_log

    assert _partials(tmp_path / "dl") == []
    assert not Path(crashed.work_dir).exists()
    assert list(requests_dir.iterdir()) == []
    store = await open_store(settings)
    try:
        done = await store.queue.get(job_id)
    finally:
        await store.close()
    assert done is not None
    assert (done.status, done.attempts, done.resumed) == ("succeeded", 2, True)


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
