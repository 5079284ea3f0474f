"""Command-level tests with dpytest: parsing, replies, checks, and one real download.

dpytest fakes Discord's HTTP inside the process, so these are fast; the wire-level behaviour
(limits, 413s, buttons, edits) is in test_e2e.py. Facts for dpytest 0.7.0 / discord.py 2.7.1:
``_async_setup_hook`` must run before cogs are added and ``dpytest.configure``; dpytest cannot
invoke slash commands, so those tests call the command's callback with a spec'd interaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from unittest.mock import AsyncMock, MagicMock

import discord
import discord.ext.test as dpytest
import pytest
import pytest_asyncio
from discord.ext import commands

from boss_bot.bot.client import BossBot
from boss_bot.bot.delivery import file_limit_for
from boss_bot.bot.errors import NotAllowedError
from boss_bot.core.jobs import DownloadRecord
from boss_bot.core.manager import DownloadManager
from boss_bot.core.settings import BossSettings
from boss_bot.core.upload.limits import DM_FILE_LIMIT
from boss_bot.core.workers.pool import WorkerPool
from tests.bot import dpytest_support
from tests.support.media_server import MediaServer

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
        bot = BossBot(
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
                 "status", "cancel", "sync", "reload", "cleanup", "help"):  # fmt: skip
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
    assert bot.pipeline.jobs() == []
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
    assert (bot.settings.download_dir / "generic" / "image.png").is_file()


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


async def test_yt_stats_reports_what_the_core_recorded(bot: BossBot) -> None:
    await dpytest.message("$yt-stats")
    assert dpytest.get_message().content == "No YouTube downloads recorded yet."
    for seconds, method, outcome in (
        (1.0, "api", "success"), (2.0, "api", "success"), (3.0, "cli_fallback", "success"),
        (9.0, "cli", "network"),
    ):  # fmt: skip
        bot.pipeline.metrics.record(DownloadRecord("youtube", method, seconds, 10, outcome))
    bot.pipeline.metrics.record(DownloadRecord("twitter", "api", 5.0, 10, "success"))
    await dpytest.message("$yt-stats")
    text = dpytest.get_message().content
    assert "4 (3 ok, 75% success)" in text
    assert "median 2.0 s, p95 3.0 s" in text
    assert "API 2, CLI 1, CLI fallback 1" in text


async def test_status_and_cancel_of_unknown_job(bot: BossBot) -> None:
    await dpytest.message("$status")
    assert dpytest.get_message().content == "You have no jobs in flight."
    await dpytest.message("$cancel nope")
    assert dpytest.get_message().content == "No job `nope` in flight."


async def test_cancel_someone_elses_job_is_refused(bot: BossBot) -> None:
    from boss_bot.core.jobs import JobSpec

    config = dpytest.get_config()
    bob = config.members[1]
    job = bot.pipeline.registry.enqueue(JobSpec(url="https://example.com/a", owner_id=bob.id))
    await dpytest.message(f"$cancel {job.id}", member=0)
    assert "isn't your job" in dpytest.get_message().content
    await dpytest.message("$status", member=1)
    assert job.id in dpytest.get_message().content
    await dpytest.message(f"$cancel {job.id}", member=1)
    assert dpytest.get_message().content == f"Cancelling `{job.id}`."
    assert bot.pipeline.registry.get(job.id).state.value == "cancelled"  # type: ignore[union-attr]


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
    cog = bot.get_cog("YouTube")
    await cog.yt_stats.callback(cog, ctx)  # type: ignore[union-attr]
    ctx.send.assert_awaited_once_with("No YouTube downloads recorded yet.")


async def test_per_file_limit_sources(bot: BossBot) -> None:
    guild = dpytest.get_config().guilds[0]
    assert file_limit_for(slash_context(bot, guild=guild, limit=25 * 2**20)) == 25 * 2**20
    assert file_limit_for(slash_context(bot, guild=guild, limit=None)) == guild.filesize_limit
    prefix = slash_context(bot, guild=None, limit=None)
    prefix.interaction = None
    assert file_limit_for(prefix) == DM_FILE_LIMIT
