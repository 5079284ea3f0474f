"""End to end: the real BossBot and discord.py against the wire-level Discord double, with
real yt-dlp / ffmpeg downloading from the local media server. Every test asserts on what the
double received, the way Discord would have seen it."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import subprocess
from pathlib import Path

import psutil
import pytest

from tests.bot.conftest import GALLERY_SIZE, BotMedia, MakeWorld, World
from tests.conftest import tool_processes
from tests.discord_double import MIB, DiscordDouble, Guild, StoredMessage

EPHEMERAL = 1 << 6
SEND_MESSAGES = 1 << 11
READ_HISTORY = 1 << 16
VIEW_CHANNEL = 1 << 10


def probe(path: Path) -> dict:
    """ffprobe's view of a file (raises if it cannot decode it)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type:format=duration",
         "-of", "json", str(path)],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def uploads(world: World, guild) -> list[StoredMessage]:
    return [m for m in world.double.bot_messages(guild.default_channel_id) if m.attachments]


def assert_throttled(status: StoredMessage) -> None:
    """At most one edit per 2 s (measured where Discord sees them), the final one excepted."""
    times = [status.created_monotonic] + [e.at for e in status.edits]
    gaps = [b - a for a, b in itertools.pairwise(times[:-1])]
    assert all(gap >= 1.99 for gap in gaps), gaps


async def test_tier0_clip_is_compressed_to_one_playable_file(
    world: World, bot_media: BotMedia
) -> None:
    # The upload takes a while, as on real Discord, so its stage outlasts the 2 s edit
    # throttle however fast this machine encodes.
    world.double.inject_latency("POST", "/channels/*/messages", 2.5, uploads_only=True)
    msg_id = await world.say(world.tier0, f"$download {bot_media.clip25_url}")
    [status] = await world.final_status(world.tier0, msg_id, timeout=90)

    [post] = uploads(world, world.tier0)
    [attachment] = post.attachments
    assert bot_media.clip25.stat().st_size > 24 * MIB
    assert attachment.filename.endswith(".mp4")
    assert attachment.size <= 10 * MIB
    info = probe(attachment.path)
    assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"}
    assert abs(float(info["format"]["duration"]) - 8.0) < 0.5
    assert bot_media.clip25_url in post.content

    # The status message moved through the stages, throttled, and ended with a summary.
    contents = [e.content for e in status.edits]
    assert any("Compressing" in c for c in contents), contents
    assert len(status.edits) >= 3
    assert_throttled(status)
    assert "✅ Done" in status.content and "→" in status.content  # what shrank and by how much
    assert status.edits[-1].payload.get("components") == []  # Cancel button gone at the end
    assert list(world.settings.requests_dir.iterdir()) == []  # cleaned up after posting


async def test_fourteen_images_arrive_as_ten_plus_four(world: World, bot_media: BotMedia) -> None:
    msg_id = await world.say(world.tier0, f"$download {bot_media.gallery_url}")
    [status] = await world.final_status(world.tier0, msg_id)
    posts = uploads(world, world.tier0)
    assert [len(p.attachments) for p in posts] == [10, 4]
    names = [a.filename for p in posts for a in p.attachments]
    assert [n.split("(")[1].split(")")[0] for n in names] == [str(i) for i in range(1, 15)]
    assert "message 1/2" in posts[0].content and "message 2/2" in posts[1].content
    assert f"{GALLERY_SIZE} file(s) in 2 message(s)" in status.content


async def test_tier2_clip_is_posted_unchanged(world: World, bot_media: BotMedia) -> None:
    msg_id = await world.say(world.tier2, f"$download {bot_media.clip25_url}")
    await world.final_status(world.tier2, msg_id, timeout=60)
    [post] = uploads(world, world.tier2)
    [attachment] = post.attachments
    assert attachment.sha256 == sha256(bot_media.clip25)
    assert world.double.requests_to("POST", f"/channels/{world.tier2.default_channel_id}/messages")
    assert all(r.status != 413 for r in world.double.requests)


async def test_lower_real_limit_is_learnt_and_the_upload_adapts(
    world: World, bot_media: BotMedia
) -> None:
    """The liar guild says tier 2 (50 MiB) but refuses anything over 10 MiB."""
    msg_id = await world.say(world.liar, f"$download {bot_media.clip25_url}")
    [status] = await world.final_status(world.liar, msg_id, timeout=90)
    channel = world.liar.default_channel_id
    statuses = [r.status for r in world.double.requests_to("POST", f"/channels/{channel}/messages")]
    assert 413 in statuses and statuses[-1] == 200
    [post] = uploads(world, world.liar)
    [attachment] = post.attachments
    assert attachment.size <= 10 * MIB
    probe(attachment.path)
    assert "✅ Done" in status.content
    # Learnt and persisted: the next job there (and the bot after a restart) fits to it at once.
    assert await world.bot.store.limits.get(world.liar.id) == 10 * MIB


async def test_download_only_keeps_the_file_in_the_archive(
    world: World, bot_media: BotMedia, media_dir: Path
) -> None:
    msg_id = await world.say(world.tier0, f"$download-only {bot_media.photo_url}")
    [status] = await world.final_status(world.tier0, msg_id)
    assert uploads(world, world.tier0) == []
    assert world.double.bot_messages(world.tier0.default_channel_id) == [status]
    saved = world.settings.download_dir / "generic" / "unknown" / "photo-photo.jpg"
    assert saved.read_bytes() == (media_dir / "photo.jpg").read_bytes()
    assert saved.with_name("photo-photo.info.json").is_file()
    assert "Saved 1 file(s)" in status.content and str(saved.parent.resolve()) in status.content
    assert list(world.settings.requests_dir.iterdir()) == []


async def test_unsupported_and_broken_links_get_a_clear_reply(
    world: World, bot_media: BotMedia, media_server
) -> None:
    msg_id = await world.say(world.tier0, "$download ftp://127.0.0.1/x.mp4")
    [reply] = await world.bounded(
        world.double.wait_until(lambda: world.replies_to(world.tier0, msg_id))
    )
    assert "Only http and https links are supported" in reply.content
    assert reply.components == []  # refused up front: no job, no Cancel button

    msg_id = await world.say(world.tier0, f"$download {media_server.url('page/empty.html')}")
    [status] = await world.final_status(world.tier0, msg_id)
    assert "❌ I found no downloadable media on that link." in status.content
    assert "Traceback" not in status.content
    assert uploads(world, world.tier0) == []


async def test_private_address_is_refused(make_world: MakeWorld, bot_media: BotMedia) -> None:
    async with make_world(allow_private_network_urls=False) as world:
        msg_id = await world.say(world.tier0, f"$download {bot_media.photo_url}")
        [reply] = await world.bounded(
            world.double.wait_until(lambda: world.replies_to(world.tier0, msg_id))
        )
        assert "private or local network" in reply.content
        assert uploads(world, world.tier0) == []


async def test_cancel_button_stops_the_job_and_its_processes(
    world: World, bot_media: BotMedia
) -> None:
    channel = world.tier0.default_channel_id
    msg_id = await world.say(world.tier0, f"$download {bot_media.slow_url}")

    def downloading() -> StoredMessage | None:
        for m in world.replies_to(world.tier0, msg_id):
            if "Downloading:" in m.content:
                return m
        return None

    status = await world.bounded(world.double.wait_until(downloading, 30), 31)
    busy = set(world.bot.manager.pool.pids)
    [button] = status.components[0]["components"]
    assert button["label"] == "Cancel"

    # Someone else may not cancel it ...
    await world.double.click_button(status.id, button["custom_id"], world.bob.id)
    interaction = await world.bounded(
        world.double.wait_until(
            lambda: next((i for i in world.double.interactions.values() if i.callbacks), None)
        )
    )
    assert "Only the person who asked" in json.dumps(interaction.callbacks)
    assert await world.bot.pipeline.jobs()  # still running

    # ... the requester may.
    await world.double.click_button(status.id, button["custom_id"], world.alice.id)
    [final] = await world.final_status(world.tier0, msg_id)
    assert "🚫 Cancelled" in final.content
    assert await world.bot.pipeline.jobs() == []
    assert uploads(world, world.tier0) == []

    def tools_gone() -> bool:
        workers = set(world.bot.manager.pool.pids)
        return all(p.pid in workers for p in tool_processes()) and not (
            busy & _alive(busy) - workers
        )

    await world.bounded(world.double.wait_until(tools_gone, 10), 11)
    assert busy - set(world.bot.manager.pool.pids), "the busy worker was killed and replaced"
    assert list(world.settings.requests_dir.iterdir()) == []
    public = [m.id for m in world.double.bot_messages(channel) if not m.flags & EPHEMERAL]
    assert public == [final.id]  # (bob's refusal was ephemeral)


def _alive(pids: set[int]) -> set[int]:
    return {p for p in pids if psutil.pid_exists(p)}


async def test_several_links_in_one_message_become_separate_jobs(
    world: World, bot_media: BotMedia
) -> None:
    msg_id = await world.say(world.tier0, f"$download {bot_media.photo_url} {bot_media.png_url}")
    statuses = await world.final_status(world.tier0, msg_id, count=2)
    ids = {s.content.split("`")[1] for s in statuses}
    assert len(ids) == 2
    posts = uploads(world, world.tier0)
    assert sorted(a.filename for p in posts for a in p.attachments) == ["image.png", "photo.jpg"]
    assert len(posts) == 2


async def test_failed_upload_keeps_the_files_and_says_where(
    make_world: MakeWorld, bot_media: BotMedia
) -> None:
    holder: list[Guild] = []

    def configure(double: DiscordDouble) -> None:
        # The bot may talk here but not attach files: Discord answers 403 / 50013.
        perms = VIEW_CHANNEL | SEND_MESSAGES | READ_HISTORY
        holder.append(double.add_guild("no-files", bot_permissions=perms))
        alice = next(u for u in double.users.values() if u.username == "alice")
        double.add_member(holder[0].id, alice.id)

    async with make_world(configure=configure) as world:
        guild = holder[0]
        msg_id = await world.say(guild, f"$download {bot_media.photo_url}")
        [status] = await world.final_status(guild, msg_id)
        assert "❌ Discord refused the upload (403" in status.content
        kept = world.settings.download_dir / "generic" / "unknown" / "photo-photo.jpg"
        assert kept.is_file()
        assert str(kept.parent.resolve()) in status.content
        assert uploads(world, guild) == []


async def test_slash_download_uses_the_interaction_limit(
    world: World, bot_media: BotMedia, media_dir: Path
) -> None:
    channel = world.tier2.default_channel_id
    assert (media_dir / "photo.jpg").stat().st_size > 20_000
    interaction = await world.double.inject_interaction(
        channel, world.alice.id, "download", {"url": bot_media.photo_url},
        attachment_size_limit=20_000,
    )  # fmt: skip

    def posted() -> StoredMessage | None:
        for m in world.double.messages(channel):
            if m.attachments:
                return m
        return None

    post = await world.bounded(world.double.wait_until(posted, 30), 31)
    [attachment] = post.attachments
    assert attachment.size <= 20_000  # fitted to the interaction's limit, not the guild's 50 MiB
    assert interaction.callbacks, "the interaction was acknowledged"


async def test_yt_playlist_posts_each_video_as_its_own_job(
    world: World, media_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # YouTube itself cannot be reached here: let the YouTube-only command take a local page
    # whose three <video> tags yt-dlp reads as a playlist.
    from boss_bot.bot.exts.youtube import _cog

    monkeypatch.setattr(_cog, "is_youtube", lambda url: True)
    before = len(media_server.requests)
    msg_id = await world.say(
        world.tier2, f"$yt-playlist {media_server.url('page/multi.html')} 720p 2"
    )
    statuses = await world.final_status(world.tier2, msg_id, count=2)
    assert all("✅" in s.content for s in statuses)
    posts = uploads(world, world.tier2)
    assert len(posts) == 2 and all(len(m.attachments) == 1 for m in posts)
    assert [r for r in media_server.requests[before:] if r[1] == "/c3.mp4"] == []


async def test_token_never_reaches_the_logs(
    make_world, bot_media: BotMedia, caplog: pytest.LogCaptureFixture
) -> None:
    """A full run (login, gateway, a download, an upload) logged at DEBUG: no token anywhere."""
    caplog.set_level(logging.DEBUG)
    async with make_world() as world:
        token = world.double.token
        msg_id = await world.say(world.tier0, f"$download {bot_media.photo_url}")
        [status] = await world.final_status(world.tier0, msg_id)
        assert "✅" in status.content
        assert all(
            token not in m.content
            for m in world.double.bot_messages(world.tier0.default_channel_id)
        )
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert len(caplog.records) > 20, "the run really was logged"
    assert token not in logged


async def test_discord_429_and_500_are_retried_by_discord_py_and_counted(
    world: World, bot_media: BotMedia
) -> None:
    """discord.py waits out a 429 and retries a 500 by itself; the bot counts both in
    boss_discord_retries_total (through aiohttp request tracing) and posts the file once."""

    def retries(reason: str) -> float:
        value = world.bot.telemetry.registry.get_sample_value(
            "boss_discord_retries_total", {"reason": reason}
        )
        return value or 0.0

    before = retries("rate_limited"), retries("server_error")
    world.double.inject_fault("POST", "/channels/*/messages", status=429, retry_after=0.05)
    world.double.inject_fault("POST", "/channels/*/messages", status=500)
    msg_id = await world.say(world.tier2, f"$download {bot_media.photo_url}")
    [status] = await world.final_status(world.tier2, msg_id, timeout=60)
    assert "✅" in status.content, status.content
    assert len(uploads(world, world.tier2)) == 1
    assert retries("rate_limited") == before[0] + 1
    assert retries("server_error") == before[1] + 1
