"""Restart recovery for real: `python -m boss_bot run` against the Discord double is SIGKILLed
in the middle of a (dripped) download, started again, and must finish the job, say so, and
leave no partial file behind."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from boss_bot.core.paths import is_partial
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store
from tests.bot.pipeline_support import eventually
from tests.discord_double import DiscordDouble, StoredMessage
from tests.faults.support import START_TIMEOUT, bot_env, kill_bot, start_bot, wait_ready
from tests.persistence.conftest import SlowClip


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
        env = bot_env(tmp_path, double)
        requests_dir = tmp_path / "dl" / ".requests"
        procs: list[asyncio.subprocess.Process] = []
        try:
            procs.append(await start_bot(env, log))
            await wait_ready(log, 1)
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

            procs.append(await start_bot(env, log))
            await double.wait_for_gateway(after=epoch, timeout=START_TIMEOUT)

            def finished() -> StoredMessage | None:
                m = double.message(first.id)
                ended = any(line[:1] in ("✅", "❌", "🚫") for line in m.content.split("\n"))
                return m if ended else None

            final = await double.wait_until(finished, 60)
        finally:
            for proc in procs:
                await kill_bot(proc)
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


async def test_sigkill_mid_download_of_a_pasted_link_then_restart_replies_quietly(
    tmp_path: Path, slow_clip: SlowClip
) -> None:
    """Automatic mode after a crash: the job is adopted again, ⏳ is back on the original while
    it runs, the media is posted as a reply to it, and no status message ever appears."""
    from boss_bot.core.guilds import GuildSettingsService

    log = tmp_path / "bot.log"
    async with DiscordDouble() as double:
        guild = double.add_guild("g", premium_tier=2)
        alice = double.add_user("alice")
        double.add_member(guild.id, alice.id)
        channel = guild.default_channel_id
        env = bot_env(tmp_path, double)
        requests_dir = tmp_path / "dl" / ".requests"
        settings = BossSettings(_env_file=None, data_dir=tmp_path / "data",  # type: ignore[call-arg]
                                download_dir=tmp_path / "dl")  # fmt: skip
        store = await open_store(settings)
        try:
            service = GuildSettingsService(store, settings)
            await service.set(guild.id, "auto", ["everywhere"], by=alice.id)
            await service.set(guild.id, "auto_platforms", ["generic"], by=alice.id)
        finally:
            await store.close()
        procs: list[asyncio.subprocess.Process] = []
        try:
            procs.append(await start_bot(env, log))
            await wait_ready(log, 1)
            asked = int((await double.send_user_message(channel, alice.id, slow_clip.url))["id"])
            await eventually(lambda: _partials(requests_dir), 30, 0.02)
            assert "⏳" in double.reactions(asked, user_id=double.bot.id)
            epoch = double.gateway_epoch
            procs[0].send_signal(signal.SIGKILL)
            await asyncio.wait_for(procs[0].wait(), 10)

            procs.append(await start_bot(env, log))
            await double.wait_for_gateway(after=epoch, timeout=START_TIMEOUT)

            def reply() -> StoredMessage | None:
                return next((m for m in double.bot_messages(channel) if m.attachments
                             and m.reference and int(m.reference["message_id"]) == asked),
                            None)  # fmt: skip

            posted = await double.wait_until(reply, 60)
            await double.wait_until(
                lambda: "⏳" not in double.reactions(asked, user_id=double.bot.id), 10
            )
        finally:
            for proc in procs:
                await kill_bot(proc)
        bot_log = log.read_text(errors="replace")
        assert [a.filename for a in posted.attachments], bot_log[-3000:]
        assert not any("Job `" in m.content for m in double.bot_messages(channel))
        assert _partials(requests_dir) == []
