"""Command-level tests with dpytest: parsing, replies, checks, and one real download.

dpytest fakes Discord's HTTP inside the process, so these are fast; the wire-level behaviour
(limits, 413s, buttons, edits) is in test_e2e.py. Facts for dpytest 0.7.0 / discord.py 2.7.1:
``_async_setup_hook`` must run before cogs are added and ``dpytest.configure``; dpytest cannot
invoke slash commands, so those tests call the command's callback with a spec'd interaction.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from unittest.mock import AsyncMock, MagicMock

import discord
import discord.ext.test as dpytest
import pytest
import pytest_asyncio
from discord.ext import commands

from boss_bot.bot.client import BossBot, BossBotBase
from boss_bot.bot.errors import NotAllowedError
from boss_bot.bot.uploader import file_limit_for
from boss_bot.core.jobs import Job, JobRequest
from boss_bot.core.manager import DownloadManager
from boss_bot.core.pipeline import AlreadyPosted, Attachment
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import JobMetrics
from boss_bot.core.upload.limits import DM_FILE_LIMIT
from boss_bot.core.workers.pool import WorkerPool
from tests.bot import dpytest_support
from tests.bot.pipeline_support import eventually
from tests.support.media_server import MediaServer
from tests.support.urls import platform_url

dpytest_support.install()


@pytest_asyncio.fixture
async def make_bot(
    make_settings: Callable[..., BossSettings], worker_pool: WorkerPool, tmp_path: Path
) -> AsyncIterator[Callable[..., object]]:
    bots: list[BossBot] = []

    async def build(**overrides: object) -> BossBot:
        settings = make_settings(**overrides)
        # dpytest finds its fake members in the member cache, which needs the members intent;
        # the shipped bot does without it (test_e2e runs with the real, minimal intents).
        # BossBotBase: the shipped BossBot is an AutoShardedBot, which dpytest refuses.
        bot = BossBotBase(
            settings,
            manager=DownloadManager(settings, pool=worker_pool),
            intents=discord.Intents.all(),
        )
        await bot._async_setup_hook()
        dpytest.configure(bot, members=["alice", "bob"])
        await bot.setup_hook()  # loads the extensions (dpytest's user must exist by then)
        bots.append(bot)
        return bot

    yield build
    for bot in bots:
        await bot.pipeline.close()
        await bot.store.close()
    await dpytest.empty_queue()
    for leftover in Path(tmp_path).glob("dpytest_*.dat"):  # tests run in tmp_path already
        leftover.unlink()


@pytest_asyncio.fixture
async def bot(make_bot: Callable[..., object]) -> BossBot:
    return await make_bot()  # type: ignore[misc]


async def test_help_lists_every_command(bot: BossBot) -> None:
    await dpytest.message("$help")
    text = dpytest.get_message().content
    for name in ("download", "download-only", "yt-download", "yt-playlist", "yt-stats",
                 "status", "cancel", "retry", "priority", "stats", "sync", "reload", "cleanup",
                 "help"):  # fmt: skip
        assert f"`${name}" in text, name


async def test_help_for_one_command(bot: BossBot) -> None:
    await dpytest.message("$help yt-playlist")
    text = dpytest.get_message().content
    assert "max_videos" in text and "playlist" in text


async def test_download_without_a_link_says_so(bot: BossBot) -> None:
    await dpytest.message("$download")
    assert dpytest.get_message().content.startswith("Please give me a link")


async def test_bad_link_is_refused_without_a_job(bot: BossBot) -> None:
    await dpytest.message("$download ftp://example.com/x")
    msg = dpytest.get_message()
    assert "Only http and https links are supported" in msg.content
    assert await bot.pipeline.jobs() == []
    assert await bot.store.queue.list() == []  # refused before a job was persisted
    assert dpytest.runner.sent_queue.empty()


async def test_download_posts_the_file_and_a_summary(
    bot: BossBot, media_server: MediaServer, media_dir: Path
) -> None:
    url = media_server.url("photo.jpg")
    await dpytest.message(f"$download {url}")
    status = dpytest.get_message()
    assert status.content.startswith("Job `")
    post = dpytest.get_message()
    # The caption survives thanks to the payload_json patch (dpytest would drop it).
    assert post.content == f"<{url}>"
    [attachment] = post.attachments
    assert attachment.filename == "photo.jpg"
    written = Path(attachment.url.removeprefix("file:"))  # dpytest's ./dpytest_N.dat
    assert written.read_bytes() == (media_dir / "photo.jpg").read_bytes()
    channel = dpytest.get_config().channels[0]
    final = await channel.fetch_message(status.id)
    assert "✅ Done" in final.content and "1 file(s) in 1 message(s)" in final.content


async def test_upload_false_keeps_the_file(bot: BossBot, media_server: MediaServer) -> None:
    await dpytest.message(f"$download {media_server.url('image.png')} upload=false")
    status = dpytest.get_message()
    assert dpytest.runner.sent_queue.empty()  # nothing posted
    channel = dpytest.get_config().channels[0]
    final = await channel.fetch_message(status.id)
    assert "Saved 1 file(s)" in final.content
    # DOWNLOAD_DIR/<platform>/<author>/<title>-<id>.<ext> with a sidecar
    saved = bot.settings.download_dir / "generic" / "unknown" / "image-image.png"
    assert saved.is_file(), sorted(bot.settings.download_dir.rglob("*"))
    info = json.loads(saved.with_name("image-image.info.json").read_text())
    assert info["url"] == media_server.url("image.png") and len(info["sha256"]) == 64


async def test_yt_download_wants_a_youtube_link(bot: BossBot) -> None:
    await dpytest.message("$yt-download https://example.com/v.mp4")
    assert "isn't a YouTube link" in dpytest.get_message().content


async def test_yt_download_quality_must_be_known(bot: BossBot) -> None:
    with pytest.raises(commands.BadLiteralArgument):  # dpytest re-raises after our handler
        await dpytest.message("$yt-download https://youtu.be/dQw4w9WgXcQ 9000p")
    text = dpytest.get_message().content
    assert "must be one of" in text and "720p" in text


async def test_yt_playlist_max_videos_range(bot: BossBot) -> None:
    with pytest.raises(commands.RangeError):
        await dpytest.message("$yt-playlist https://youtube.com/playlist?list=PLx 720p 30")
    assert "out of range (1–25)" in dpytest.get_message().content


async def _job_with_metrics(bot: BossBot, platform: str, n: int, **metrics: object) -> None:
    job = await bot.store.queue.enqueue(JobRequest(url=platform_url(platform, n), user_id=n))
    await bot.store.metrics.record(JobMetrics(job_id=job.id, platform=platform, **metrics))  # type: ignore[arg-type]


async def test_yt_stats_reports_what_the_store_recorded(bot: BossBot) -> None:
    await dpytest.message("$yt-stats")
    [empty] = dpytest.get_message().embeds
    assert empty.description == "No downloads from youtube in the last 7 days."
    for n, (seconds, method, outcome) in enumerate((
        (1.0, "api", "success"), (2.0, "api", "success"), (3.0, "cli_fallback", "success"),
        (9.0, "cli", "network"),
    )):  # fmt: skip
        await _job_with_metrics(bot, "youtube", n, outcome=outcome, method=method,
                                download_seconds=seconds, bytes_downloaded=10)  # fmt: skip
    await _job_with_metrics(bot, "twitter", 9, outcome="success", method="api",
                            download_seconds=5.0)  # fmt: skip
    await dpytest.message("$yt-stats")
    msg = dpytest.get_message()
    [embed] = msg.embeds
    fields = {f.name: f.value for f in embed.fields}
    assert embed.title == "Downloads: youtube, last 7 days"
    assert fields["Jobs"] == "4 (3 succeeded, 75%)"
    assert fields["Download time"] == "median 2.0 s, p95 3.0 s"
    assert "api: 2 (median 1.5 s)" in fields["Methods"]
    assert "cli_fallback: 1 (median 3.0 s)" in fields["Methods"]
    assert fields["Top failures"] == "network ×1"
    assert [a.filename for a in msg.attachments] == ["stats.png"]
    assert embed.image.url == "attachment://stats.png"


async def test_stats_arguments(bot: BossBot) -> None:
    await dpytest.message("$stats nosuchsite")
    assert dpytest.get_message().content.startswith("Unknown platform `nosuchsite`")
    await dpytest.message("$stats days=0")
    assert "between 1 and" in dpytest.get_message().content
    await dpytest.message("$stats days=30 twitter")
    [embed] = dpytest.get_message().embeds
    assert embed.title == "Downloads: twitter, last 30 days"


async def test_status_and_cancel_of_unknown_job(bot: BossBot) -> None:
    await dpytest.message("$status")
    assert dpytest.get_message().content == "You have no jobs in flight."
    await dpytest.message("$cancel nope")
    assert dpytest.get_message().content == "No job `nope` in flight."


async def test_cancel_someone_elses_job_is_refused(bot: BossBot, media_server: MediaServer) -> None:
    config = dpytest.get_config()
    bob = config.members[1]
    job = await bot.pipeline.submit(
        JobRequest(url=media_server.url("slow/big.mp4"), user_id=bob.id, upload=False),
        attachment=Attachment(),
    )
    assert not isinstance(job, AlreadyPosted)
    await dpytest.message(f"$cancel {job.id}", member=0)
    assert "isn't your job" in dpytest.get_message().content
    await dpytest.message("$status", member=1)
    assert job.id in dpytest.get_message().content
    await dpytest.message(f"$cancel {job.id}", member=1)
    assert dpytest.get_message().content == f"Cancelling `{job.id}`."
    result = await asyncio.wait_for(bot.pipeline.wait(job.id), 10)
    assert result.outcome == "cancelled"
    stored = await bot.store.queue.get(job.id)
    assert stored is not None and (stored.status, stored.cancelled_by) == ("cancelled", bob.id)


async def test_retry_own_failed_job_and_not_others(bot: BossBot, media_server: MediaServer) -> None:
    config = dpytest.get_config()
    alice, bob = config.members[0], config.members[1]
    failed = await bot.pipeline.run(
        JobRequest(url=media_server.url("status/404"), user_id=alice.id, upload=False)
    )
    assert not isinstance(failed, AlreadyPosted) and failed.outcome == "failed"
    await dpytest.message(f"$retry {failed.job.id}", member=1)
    assert "isn't your job" in dpytest.get_message().content
    await dpytest.message("$retry nope", member=0)
    assert dpytest.get_message().content == "No job `nope`."
    await dpytest.message(f"$retry {failed.job.id}", member=0)
    assert dpytest.get_message().content.startswith(f"Retrying `{failed.job.id}`")

    # Queued again and claimed again (the status message of a retried job is the host's: it
    # waits for the gateway, which dpytest never opens; test_e2e covers that part).
    async def claimed_again() -> Job | None:
        job = await bot.store.queue.get(failed.job.id)
        return job if job is not None and job.attempts >= 2 else None

    job = await eventually(claimed_again, 10)
    assert job is not None and job.status in ("running", "queued") and job.error_code is None
    await dpytest.message(f"$retry {failed.job.id}", member=1)
    assert "isn't your job" in dpytest.get_message().content
    assert bob.id != alice.id


async def test_priority_is_for_admins(
    make_bot: Callable[..., object], media_server: MediaServer
) -> None:
    bot: BossBot = await make_bot(max_concurrent_downloads=1)  # type: ignore[misc]
    config = dpytest.get_config()
    alice = config.members[0]
    jobs = []
    for name in ("slow/big.mp4", "photo.jpg", "image.png"):
        job = await bot.pipeline.submit(
            JobRequest(url=media_server.url(name), user_id=alice.id, upload=False),
            attachment=Attachment(),
        )
        assert not isinstance(job, AlreadyPosted)
        jobs.append(job)
    _slow, second, third = jobs
    assert await bot.pipeline.position(third.id) == 2
    with pytest.raises(NotAllowedError):
        await dpytest.message(f"$priority {third.id} 5", member=1)
    assert "Manage Server" in dpytest.get_message().content
    bot.admin_ids = {alice.id}
    await dpytest.message(f"$priority {third.id} 5", member=0)
    assert dpytest.get_message().content == f"Job `{third.id}` now has priority 5 (position 1)."
    assert await bot.pipeline.position(second.id) == 2
    for job in jobs:
        await bot.pipeline.cancel(job.id)


async def test_admin_commands_need_manage_server(bot: BossBot) -> None:
    with pytest.raises(NotAllowedError):
        await dpytest.message("$cleanup", member=1)
    assert "Manage Server" in dpytest.get_message().content


async def test_cleanup_by_an_admin_removes_stale_request_dirs(
    bot: BossBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = bot.settings.requests_dir / "generic-abc"
    stale.mkdir(parents=True)
    (stale / "x.part").write_bytes(b"x" * 2048)
    bot.admin_ids = {dpytest.get_config().members[0].id}
    await dpytest.message("$cleanup", member=0)
    assert dpytest.get_message().content == "Removed 1 request folder(s), 2.0 KiB freed."
    assert not stale.exists()


async def test_allowed_channels_restrict_downloads(make_bot: Callable[..., object]) -> None:
    await make_bot(allowed_channel_ids="1,2")  # type: ignore[misc]
    with pytest.raises(NotAllowedError):
        await dpytest.message("$download https://example.com/a.jpg")
    assert dpytest.get_message().content == "Downloads aren't enabled in this channel."


async def test_allowed_roles_restrict_downloads(make_bot: Callable[..., object]) -> None:
    await make_bot(allowed_role_ids=[12345])  # type: ignore[misc]
    with pytest.raises(NotAllowedError):
        await dpytest.message("$download https://example.com/a.jpg")
    assert "roles allowed" in dpytest.get_message().content


# --- slash commands: dpytest cannot dispatch them, so call the callbacks directly --------------


def slash_context(bot: BossBot, *, guild: discord.Guild | None, limit: int | None) -> MagicMock:
    interaction = MagicMock(spec=discord.Interaction)
    interaction.filesize_limit = limit
    ctx = MagicMock(spec=commands.Context)
    ctx.bot = bot
    ctx.interaction = interaction
    ctx.guild = guild
    ctx.send = AsyncMock()
    return ctx


async def test_slash_yt_stats_callback(bot: BossBot) -> None:
    ctx = slash_context(bot, guild=None, limit=None)
    cog = bot.get_cog("Stats")
    await cog.yt_stats.callback(cog, ctx)  # type: ignore[union-attr]
    [call] = ctx.send.await_args_list
    assert call.kwargs["embed"].description == "No downloads from youtube in the last 7 days."


async def test_per_file_limit_sources(bot: BossBot) -> None:
    guild = dpytest.get_config().guilds[0]
    assert file_limit_for(slash_context(bot, guild=guild, limit=25 * 2**20)) == 25 * 2**20
    assert file_limit_for(slash_context(bot, guild=guild, limit=None)) == guild.filesize_limit
    prefix = slash_context(bot, guild=None, limit=None)
    prefix.interaction = None
    assert file_limit_for(prefix) == DM_FILE_LIMIT
