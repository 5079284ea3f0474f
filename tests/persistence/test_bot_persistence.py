"""Persistence through the real bot: discord.py against the wire-level Discord double, real
downloads from the local media server, a real SQLite store in the test's temp dir."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from PIL import Image

from boss_bot.core.stats_text import human_bytes
from tests.bot.conftest import BotMedia, MakeWorld, World
from tests.bot.pipeline_support import eventually
from tests.conftest import tool_processes
from tests.discord_double import StoredMessage
from tests.support.media_server import MediaServer


def uploads(world: World) -> list[StoredMessage]:
    channel = world.tier0.default_channel_id
    return [m for m in world.double.bot_messages(channel) if m.attachments]


async def reply_to(world: World, msg_id: int, text: str) -> StoredMessage:
    def found() -> StoredMessage | None:
        return next((m for m in world.replies_to(world.tier0, msg_id) if text in m.content), None)

    return await world.bounded(world.double.wait_until(found, 30), 31)


def jump_url(world: World, message: StoredMessage) -> str:
    return f"https://discord.com/channels/{world.tier0.id}/{message.channel_id}/{message.id}"


async def test_second_download_links_the_first_post_force_reposts_and_stats_add_up(
    world: World, media_server: MediaServer, media_dir: Path
) -> None:
    url = media_server.url("photo.jpg")
    size = (media_dir / "photo.jpg").stat().st_size
    first = await world.say(world.tier0, f"$download {url}")
    await world.final_status(world.tier0, first)
    [post] = uploads(world)

    second = await world.say(world.tier0, f"$download {url}", user=world.bob)
    answer = await reply_to(world, second, "Already posted here")
    assert jump_url(world, post) in answer.content
    assert "force=True" in answer.content
    assert len(uploads(world)) == 1  # nothing re-uploaded, no job started
    assert [m for m in world.replies_to(world.tier0, second) if "Job `" in m.content] == []

    forced = await world.say(world.tier0, f"$download {url} force=True")
    [status] = await world.final_status(world.tier0, forced)
    assert "✅ Done" in status.content and len(uploads(world)) == 2
    dashed = await world.say(world.tier0, f"$download {url} --force")
    await world.final_status(world.tier0, dashed)
    assert len(uploads(world)) == 3

    broken = await world.say(world.tier0, f"$download {media_server.url('status/404')}")
    await world.final_status(world.tier0, broken)

    asked = await world.say(world.tier0, "$stats generic")
    answer = await reply_or_message_with_embed(world, asked)
    [embed] = answer.embeds
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert embed["title"] == "Downloads: generic, last 7 days"
    assert fields["Jobs"] == "4 (3 succeeded, 75%)"
    assert fields["Bytes"] == f"{human_bytes(3 * size)} down, {human_bytes(3 * size)} up"
    assert fields["Top failures"] == "not_found ×1"
    assert "api: 3" in fields["Methods"]
    [chart] = answer.attachments
    assert chart.filename == "stats.png" and embed["image"]["url"] == "attachment://stats.png"
    with Image.open(chart.path) as im:
        assert im.format == "PNG" and im.size == (900, 420)
    # The chart's temp dir goes once the send returns (just after the double stored it).
    await eventually(lambda: not list(world.settings.requests_dir.iterdir()), 5)


async def message_after(world: World, after: int, text: str) -> StoredMessage:
    channel = world.tier0.default_channel_id

    def found() -> StoredMessage | None:
        return next((m for m in world.double.bot_messages(channel)
                     if m.id > after and text in m.content), None)  # fmt: skip

    return await world.bounded(world.double.wait_until(found, 30), 31)


async def reply_or_message_with_embed(world: World, after: int) -> StoredMessage:
    channel = world.tier0.default_channel_id

    def found() -> StoredMessage | None:
        return next((m for m in world.double.bot_messages(channel)
                     if m.id > after and m.embeds), None)  # fmt: skip

    return await world.bounded(world.double.wait_until(found, 30), 31)


async def test_download_only_twice_is_stored_once(
    world: World, media_server: MediaServer, media_dir: Path
) -> None:
    for name in ("clip.mp4", "c2.mp4"):  # the same bytes behind two links
        msg = await world.say(world.tier0, f"$download-only {media_server.url(name)}")
        [status] = await world.final_status(world.tier0, msg)
    assert "1 of them already in the archive" in status.content
    media = sorted(world.settings.download_dir.rglob("*.mp4"))
    assert len(media) == 1 and media[0].read_bytes() == (media_dir / "clip.mp4").read_bytes()
    assert len(list(world.settings.download_dir.rglob("*.info.json"))) == 1


async def test_rate_limit_refusal_says_when(
    make_world: MakeWorld, media_server: MediaServer
) -> None:
    async with make_world(user_rate_limit=1, user_rate_window_seconds=3600) as world:
        first = await world.say(world.tier0, f"$download {media_server.url('photo.jpg')}")
        await world.final_status(world.tier0, first)
        again = await world.say(world.tier0, f"$download {media_server.url('image.png')}")
        refusal = await reply_to(world, again, "try again in")
        assert refusal.content == "You've reached 1 downloads per 60 min; try again in 60 min."
        world.bot.admin_ids = {world.alice.id}  # admins are exempt
        third = await world.say(world.tier0, f"$download {media_server.url('image.png')}")
        [status] = await world.final_status(world.tier0, third)
        assert "✅ Done" in status.content


async def test_bossctl_queue_cancel_stops_the_running_job(
    world: World, bot_media: BotMedia
) -> None:
    msg = await world.say(world.tier0, f"$download {bot_media.slow_url}")  # minutes of drip
    status = await reply_to(world, msg, "Downloading:")
    job_id = status.content.split("`")[1]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env |= {"DATA_DIR": str(world.settings.data_dir),
            "DOWNLOAD_DIR": str(world.settings.download_dir)}  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "boss_bot", "queue", "cancel", job_id, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == f"job {job_id} is now cancelled"

    [final] = await world.final_status(world.tier0, msg, timeout=10)
    assert "🚫 Cancelled" in final.content
    assert uploads(world) == []
    workers = set(world.bot.manager.pool.pids)
    await eventually(lambda: all(p.pid in workers for p in tool_processes()), 10)
    assert list(world.settings.requests_dir.iterdir()) == []
    job = await world.bot.store.queue.get(job_id)
    assert job is not None and (job.status, job.cancelled_by) == ("cancelled", 0)


async def test_retry_from_discord_reposts_in_the_jobs_channel(
    world: World, media_server: MediaServer
) -> None:
    msg = await world.say(world.tier0, f"$download {media_server.url('status/404')}")
    [failed] = await world.final_status(world.tier0, msg)
    job_id = failed.content.split("`")[1]
    asked = await world.say(world.tier0, f"$retry {job_id}")
    await message_after(world, asked, f"Retrying `{job_id}`")

    def retried() -> StoredMessage | None:
        m = world.double.message(failed.id)
        return m if "🔁 Retried." in m.content and "❌" in m.content else None

    final = await world.bounded(world.double.wait_until(retried, 30), 31)
    assert final.id == failed.id  # the same status message, edited
    job = await world.bot.store.queue.get(job_id)
    assert job is not None and (job.status, job.attempts) == ("failed", 2)
