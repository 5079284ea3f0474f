"""Discord misbehaves while a job runs: the gateway drops (resumed, or a new session), uploads
are answered with 500 or 429, and a 500 that does not go away. The real BossBot runs in-process
on the wire-level double (the world of tests/bot), with real yt-dlp and discord.py.

discord.py retries a 429 after its ``retry_after`` and a 500 up to five times (1, 3, 5, 7, 9 s
apart); the bot adds no retries of its own (docs/bot.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.conftest import World
from tests.bot.pipeline_support import eventually
from tests.conftest import tool_processes
from tests.discord_double import StoredMessage
from tests.faults.support import partials, posts, sha256, status_reply
from tests.support.media_server import MediaServer


async def _status(world: World, channel: int, asked: int) -> StoredMessage:
    return await world.bounded(
        world.double.wait_until(lambda: status_reply(world.double, channel, asked), 10)
    )


def _stray_tools(world: World) -> list[str]:
    workers = set(world.bot.manager.pool.pids)
    return [" ".join(p.cmdline()) for p in tool_processes() if p.pid not in workers]


@pytest.mark.parametrize("how", ["resume", "identify"])
async def test_gateway_drop_mid_download_then_the_job_finishes_and_posts_once(
    world: World, media_server: MediaServer, media_dir: Path, how: str
) -> None:
    double, channel = world.double, world.tier2.default_channel_id
    requests_dir = world.settings.requests_dir
    clip = await world.say(world.tier2, f"$download {media_server.url('slow/clip.mp4')}")
    await world.bounded(eventually(lambda: partials(requests_dir), 30, 0.02), 31)
    epoch = double.gateway_epoch
    photo_url = media_server.url("photo.jpg")
    if how == "resume":
        assert await double.drop_connection() == 1  # 4000: the client RESUMEs
        # Asked while the socket is down: replayed on RESUME, and handled once.
        photo = await world.say(world.tier2, f"$download {photo_url}", world.bob)
        await world.bounded(double.wait_for_gateway(after=epoch))
    else:
        await double.invalidate_session()  # not resumable: the client IDENTIFYs again
        await world.bounded(double.wait_for_gateway(after=epoch))
        photo = await world.say(world.tier2, f"$download {photo_url}", world.bob)
    assert double.gateway.connections[-1].kind == how
    assert partials(requests_dir), "the clip was still downloading when the gateway came back"

    [clip_status] = await world.final_status(world.tier2, clip, timeout=30)
    [photo_status] = await world.final_status(world.tier2, photo, timeout=30)
    assert "✅ Done" in clip_status.content and "✅ Done" in photo_status.content
    assert sorted([a.sha256 for a in m.attachments] for m in posts(double, channel)) == sorted(
        [[sha256(media_dir / "clip.mp4")], [sha256(media_dir / "photo.jpg")]]
    )  # once each, whole
    assert [m.id for m in double.bot_messages(channel) if "Job `" in m.content] == [
        clip_status.id,
        photo_status.id,
    ]  # one status message per request: the replayed command ran once
    assert list(requests_dir.iterdir()) == []


@pytest.mark.parametrize("answers", [(500,), (429,)], ids=["500-then-200", "429-then-200"])
async def test_upload_answered_with_500_or_429_is_retried_and_posted_once(
    world: World, media_server: MediaServer, media_dir: Path, answers: tuple[int, ...]
) -> None:
    double, channel = world.double, world.tier0.default_channel_id
    asked = await world.say(world.tier0, f"$download {media_server.url('slow/photo.jpg')}")
    await _status(world, channel, asked)
    # The status message is out and the photo is still dripping in: the next message posted
    # in this channel is the upload.
    faults = [
        double.inject_fault("POST", f"/channels/{channel}/messages", status=s, retry_after=0.3)
        for s in answers
    ]
    [final] = await world.final_status(world.tier0, asked, timeout=30)

    assert "✅ Done" in final.content
    assert [f.hits for f in faults] == [1] * len(answers)
    posted = [r.status for r in double.requests_to("POST", f"/channels/{channel}/messages")]
    assert posted == [200, *answers, 200]  # the status message, the refusal(s), the upload
    assert [[a.sha256 for a in m.attachments] for m in posts(double, channel)] == [
        [sha256(media_dir / "photo.jpg")]
    ]
    assert list(world.settings.requests_dir.iterdir()) == []


async def test_upload_500_that_persists_is_reported_and_the_file_kept(
    world: World, media_server: MediaServer, media_dir: Path
) -> None:
    double, channel = world.double, world.tier0.default_channel_id
    asked = await world.say(world.tier0, f"$download {media_server.url('slow/photo.jpg')}")
    await _status(world, channel, asked)
    fault = double.inject_fault("POST", f"/channels/{channel}/messages", status=500, count=50)
    [final] = await world.final_status(world.tier0, asked, timeout=60)  # ~25 s of retries
    fault.remaining = 0
    print("FINAL<<", final.content, ">>")

    assert fault.hits == 5  # discord.py's five tries; the bot adds none
    assert posts(double, channel) == []
    # A short, clear reply: what went wrong and where the file is; no traceback, no dump.
    *_, outcome = final.content.split("\n", 1)
    assert outcome.startswith("❌ Discord refused the upload (500"), final.content
    assert "Traceback" not in final.content and len(final.content) < 600
    # Kept in the archive, as docs/bot.md says of failed uploads, and the reply says where.
    photo = sha256(media_dir / "photo.jpg")
    archive = world.settings.download_dir
    [kept] = [p for p in archive.rglob("*") if p.is_file() and sha256(p) == photo]
    assert ".requests" not in kept.parts
    assert str(kept.parent.resolve()) in final.content
    # Nothing left running or half-written.
    assert await world.bot.pipeline.jobs() == []
    assert _stray_tools(world) == []
    assert list(world.settings.requests_dir.iterdir()) == []
