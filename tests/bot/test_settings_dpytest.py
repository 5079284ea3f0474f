"""`$settings` command parsing with dpytest (fast, in-process): mentions, ids, commas and case
in values, `reset all`, the refusal, and the errors raised for the handler to answer. The
wire-level behaviour (panel, attachments, permissions) is in the other test_settings_* files."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import discord
import discord.ext.test as dpytest
import pytest
import pytest_asyncio
from discord.ext import commands

from boss_bot.bot.client import BossBot, BossBotBase
from boss_bot.bot.errors import NotAllowedError
from boss_bot.core.errors import SettingsError
from boss_bot.core.manager import DownloadManager
from boss_bot.core.settings import BossSettings
from boss_bot.core.workers.pool import WorkerPool
from tests.bot import dpytest_support

dpytest_support.install()


@pytest_asyncio.fixture
async def bot(
    make_settings: Callable[..., BossSettings], worker_pool: WorkerPool, tmp_path: Path
) -> AsyncIterator[BossBot]:
    settings = make_settings()
    # BossBotBase: the shipped BossBot is an AutoShardedBot, which dpytest refuses.
    bot = BossBotBase(settings, manager=DownloadManager(settings, pool=worker_pool),
                      intents=discord.Intents.all())  # fmt: skip
    await bot._async_setup_hook()
    dpytest.configure(bot, members=["alice", "bob"])
    await bot.setup_hook()
    bot.admin_ids = {dpytest.get_config().members[0].id}  # alice is the owner; bob is not
    yield bot
    await bot.pipeline.close()
    await bot.store.close()
    await dpytest.empty_queue()
    for leftover in Path(tmp_path).glob("dpytest_*.dat"):
        leftover.unlink()


async def say(text: str, member: int = 0) -> str:
    await dpytest.message(text, member=member)
    return dpytest.get_message().content


async def test_values_are_read_from_mentions_ids_commas_and_any_case(bot: BossBot) -> None:
    channel = dpytest.get_config().channels[0]
    guild = dpytest.get_config().guilds[0]
    reply = await say(f"$settings set AUTO_CHANNELS {channel.mention},{channel.id}")
    assert reply == f"Set auto_channels: none → <#{channel.id}>."
    reply = await say("$settings set auto_platforms Reddit, twitter")
    assert reply == "Set auto_platforms: twitter reddit instagram tiktok bluesky → twitter reddit."
    assert await say("$settings set allowed_roles none") == "`allowed_roles` is already none."
    assert await say("$settings set nsfw_spoiler false") == "Set nsfw_spoiler: on → off."
    stored = await bot.guild_settings.get(guild.id)
    assert stored.auto_channels == (channel.id,) and stored.nsfw_spoiler == "off"
    assert await say("$settings reset all") == (
        "Reset every setting to its default (auto_channels, auto_platforms, nsfw_spoiler changed)."
    )
    assert await bot.guild_settings.get(guild.id) == bot.guild_settings.defaults


async def test_a_bad_value_raises_a_settings_error_for_the_handler(bot: BossBot) -> None:
    with pytest.raises(commands.CommandInvokeError) as raised:
        await dpytest.message("$settings set sensitive maybe")
    assert isinstance(raised.value.original, SettingsError)
    assert dpytest.get_message().content == ("`sensitive` must be block or spoiler (got `maybe`).")


async def test_only_admins_may_read_or_change(bot: BossBot) -> None:
    for text in ("$settings", "$settings set quality best"):
        with pytest.raises(NotAllowedError):
            await dpytest.message(text, member=1)
        assert "Manage Server" in dpytest.get_message().content
    guild = dpytest.get_config().guilds[0]
    assert await bot.guild_settings.changes(guild.id) == []


async def test_the_settings_embed_lists_every_page(bot: BossBot) -> None:
    await dpytest.message("$settings")
    [embed] = dpytest.get_message().embeds
    names = [f.name for f in embed.fields]
    assert names == ["Automatic mode", "Channels and roles", "Media",
                     "Files too big to post", "The bot lacks", "Recent changes"]  # fmt: skip


async def test_help_names_the_subcommands(bot: BossBot) -> None:
    reply = await say("$help settings", member=1)  # help itself is for everyone
    assert reply.startswith("`$settings`: This server's settings")
    assert "`settings set <key> <value…>`, `settings reset [key|all]`" in reply
