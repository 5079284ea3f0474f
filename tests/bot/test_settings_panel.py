"""`/settings`: the real bot's ephemeral panel on the wire-level double, driven as a person
would (open it, pick in selects, press buttons), with the store read back afterwards through the
bot's service and through a fresh one. Also the fixture the settings command tests share."""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
import pytest_asyncio

from boss_bot.core.guilds import GuildSettings, GuildSettingsService
from boss_bot.core.manager import DownloadManager
from boss_bot.core.workers.pool import WorkerPool
from tests.bot.conftest import MakeWorld, TestBot, World
from tests.discord_double import (
    MANAGE_GUILD,
    Channel,
    DiscordDouble,
    Guild,
    Interaction,
    Role,
    StoredMessage,
    User,
)

EPHEMERAL = 1 << 6


def live(name: str) -> ModuleType:
    """The running bot's copy of a settings extension module: closing a bot unloads its
    extensions (discord.py drops them from sys.modules) and the next bot imports them afresh,
    so a module imported at collection time may no longer be the one the bot uses."""
    return importlib.import_module(f"boss_bot.bot.exts.settings.{name}")


@dataclass
class Place:
    """tier0 with more to configure: a second channel, an age-restricted one, a thread and a
    role; alice has Manage Server there (and in tier2), bob is a plain member."""

    world: World
    guild: Guild
    general: int
    memes: Channel
    adults: Channel
    thread: Channel
    mods: Role
    admin: User
    member: User

    @property
    def double(self) -> DiscordDouble:
        return self.world.double

    async def settings(self) -> GuildSettings:
        return await self.world.bot.guild_settings.get(self.guild.id)

    async def stored(self, guild_id: int | None = None) -> GuildSettings:
        """What the store says, read by a service that never saw any change (another process)."""
        fresh = GuildSettingsService(self.world.bot.store, self.world.settings)
        return await fresh.get(guild_id or self.guild.id)

    async def answered(self, interaction: Interaction) -> dict[str, Any]:
        await self.world.bounded(self.double.wait_until(lambda: interaction.callbacks))
        return interaction.callbacks[0]

    async def open_panel(self, user: User | None = None) -> Interaction:
        asked = await self.double.inject_interaction(
            self.general, (user or self.admin).id, "settings"
        )
        await self.answered(asked)
        return asked

    async def changed(self, panel_id: int, edits: int) -> StoredMessage:
        """The panel once it has been edited more than ``edits`` times."""
        panel = self.double.message(panel_id)
        await self.world.bounded(self.double.wait_until(lambda: len(panel.edits) > edits))
        return panel

    async def use(self, panel_id: int, action: str, user: User | None = None, values=None) -> Any:
        """Press the button or pick ``values`` in the select whose action is ``action``; wait
        for the panel's edit and return it."""
        custom_id = component_id(self.double.message(panel_id), action)
        edits = len(self.double.message(panel_id).edits)
        who = (user or self.admin).id
        if values is None:
            await self.double.click_button(panel_id, custom_id, who)
        else:
            await self.double.select(panel_id, custom_id, who, values)
        return await self.changed(panel_id, edits)


def components(message: StoredMessage) -> list[dict[str, Any]]:
    return [c for row in message.components for c in row.get("components", [])]


def component_id(message: StoredMessage, action: str) -> str:
    [found] = [c["custom_id"] for c in components(message) if c["custom_id"].endswith(f":{action}")]
    return found


def embed_text(message: StoredMessage) -> str:
    return json.dumps(message.embeds, ensure_ascii=False)


@pytest_asyncio.fixture
async def place(make_world: MakeWorld) -> AsyncIterator[Place]:
    made: dict[str, Any] = {}

    def configure(double: DiscordDouble) -> None:
        guilds = {g.name: g for g in double.guilds.values()}
        users = {u.username: u for u in double.users.values()}
        tier0 = guilds["tier0"]
        made["memes"] = double.add_text_channel(tier0.id, "memes")
        made["adults"] = double.add_text_channel(tier0.id, "adults", nsfw=True)
        made["thread"] = double.add_thread(tier0.default_channel_id, "chat")
        made["mods"] = double.add_role(tier0.id, "mods")
        for name in ("tier0", "tier2"):
            double.grant(guilds[name].id, users["alice"].id, MANAGE_GUILD, name="admins")

    async with make_world(configure=configure) as world:
        yield Place(world, world.tier0, world.tier0.default_channel_id, made["memes"],
                    made["adults"], made["thread"], made["mods"], world.alice, world.bob)  # fmt: skip


# --- the panel ------------------------------------------------------------------------------


async def test_an_admin_changes_every_kind_of_setting_through_the_panel(place: Place) -> None:
    double = place.double
    opened = await place.open_panel()
    panel = double.message(opened.original_message_id or 0)
    assert panel.ephemeral and panel.ephemeral_to == place.admin.id
    assert double.public_messages(place.general) == []
    assert "`auto`: off *(default)*" in embed_text(panel)
    assert len(panel.components) <= 5
    assert all(len(c["custom_id"]) <= 100 for c in components(panel))

    panel = await place.use(panel.id, "auto", values=["channels"])
    panel = await place.use(panel.id, "auto_channels", values=[place.memes.id, place.thread.id])
    panel = await place.use(panel.id, "auto_platforms", values=["reddit", "twitter"])
    assert f"<#{place.memes.id}> <#{place.thread.id}>" in embed_text(panel)

    panel = await place.use(panel.id, "page", values=["media"])
    panel = await place.use(panel.id, "nsfw_spoiler.off")
    panel = await place.use(panel.id, "quality", values=["1080p"])
    panel = await place.use(panel.id, "original", values=["suppress"])
    assert "`nsfw_spoiler`: off" in embed_text(panel)
    # auto is on in #memes, not here: the panel reports what the bot lacks there.
    assert "Manage Messages (original=suppress)" in embed_text(panel)

    panel = await place.use(panel.id, "page", values=["access"])
    panel = await place.use(panel.id, "allowed_roles", values=[place.mods.id])
    panel = await place.use(panel.id, "denied_channels", values=[place.adults.id])
    assert f"<@&{place.mods.id}>" in embed_text(panel)
    panel = await place.use(panel.id, "clear.denied_channels")

    for read in (await place.settings(), await place.stored()):
        assert read.auto == "channels"
        assert read.auto_channels == tuple(sorted((place.memes.id, place.thread.id)))
        assert read.auto_platforms == ("twitter", "reddit")
        assert (read.nsfw_spoiler, read.quality, read.original) == ("off", "1080p", "suppress")
        assert read.allowed_roles == (place.mods.id,) and read.denied_channels == ()
    changes = await place.world.bot.guild_settings.changes(place.guild.id, 20)
    assert {c.by for c in changes} == {place.admin.id}
    assert [c.key for c in changes][:2] == ["denied_channels", "denied_channels"]
    # Every answer was an in-place edit of the one ephemeral panel, nothing public.
    assert double.public_messages(place.general) == []
    assert double.ephemeral_messages(place.admin.id) == [panel]


async def test_reset_puts_the_page_back_to_its_defaults(place: Place) -> None:
    service = place.world.bot.guild_settings
    await service.set(place.guild.id, "quality", ["480p"], by=place.admin.id)
    await service.set(place.guild.id, "auto", ["everywhere"], by=place.admin.id)
    opened = await place.open_panel()
    panel = await place.use(opened.original_message_id or 0, "page", values=["media"])
    panel = await place.use(panel.id, "reset")
    stored = await place.stored()
    assert stored.quality == "720p"
    assert stored.auto == "everywhere"  # another page's key is left alone
    assert (await service.changes(place.guild.id, 1))[0].action == "reset"
    assert "`quality`: 720p *(default)*" in embed_text(panel)


async def test_a_member_is_refused_in_one_line_and_nothing_changes(place: Place) -> None:
    asked = await place.open_panel(place.member)
    [reply] = place.double.ephemeral_messages(place.member.id)
    assert reply.content == live("_panel").REFUSAL and reply.components == []
    assert asked.callbacks[0]["data"]["flags"] & EPHEMERAL

    # Someone else's panel: the opener's custom ids do not work for anyone else.
    opened = await place.open_panel()
    panel = place.double.message(opened.original_message_id or 0)
    click = await place.double.select(panel.id, component_id(panel, "auto"), place.member.id,
                                      ["everywhere"])  # fmt: skip
    await place.answered(click)
    assert place.double.message(click.original_message_id or 0).content == live("_panel").NOT_YOURS
    assert await place.stored() == place.world.bot.guild_settings.defaults
    assert await place.world.bot.guild_settings.changes(place.guild.id) == []


async def test_an_opener_who_lost_manage_server_is_refused(place: Place) -> None:
    opened = await place.open_panel()
    panel = place.double.message(opened.original_message_id or 0)
    [admins] = [r for r in place.guild.roles.values() if r.name == "admins"]
    place.double.set_role_permissions(place.guild.id, admins.id, 0)
    click = await place.double.select(panel.id, component_id(panel, "auto"), place.admin.id,
                                      ["everywhere"])  # fmt: skip
    await place.answered(click)
    assert place.double.message(click.original_message_id or 0).content == live("_panel").REFUSAL
    assert (await place.stored()).auto == "off"


async def test_the_bot_owner_may_open_it_without_manage_server(place: Place) -> None:
    place.world.bot.admin_ids = {place.member.id}
    opened = await place.open_panel(place.member)
    panel = place.double.message(opened.original_message_id or 0)
    await place.use(panel.id, "auto", place.member, values=["everywhere"])
    assert (await place.stored()).auto == "everywhere"


async def test_in_a_dm_it_is_one_line(place: Place) -> None:
    dm = place.double.dm_channel(place.admin.id)
    asked = await place.double.inject_interaction(dm.id, place.admin.id, "settings")
    await place.answered(asked)
    reply = place.double.message(asked.original_message_id or 0)
    assert reply.content == "That only works in a server."


async def test_a_panel_is_answered_after_a_restart(place: Place, worker_pool: WorkerPool) -> None:
    """Nothing of the panel lives in the process that opened it: a new process (a restart,
    another shard) answers its components from their custom ids and the store."""
    world = place.world
    opened = await place.open_panel()
    panel_id = opened.original_message_id or 0
    await world.bot.close()
    await asyncio.wait_for(world.task, 10)
    epoch = world.double.gateway.epoch
    manager = DownloadManager(world.settings, pool=worker_pool)
    bot = TestBot(world.settings, manager=manager, guild_ready_timeout=0.1)
    task = asyncio.create_task(bot.start(world.double.token))
    world.bot, world.task = bot, task  # (bounded waits now watch the new bot)
    try:
        await world.bounded(world.double.wait_for_gateway(after=epoch))
        await world.bounded(bot.wait_until_ready())
        panel = await place.use(panel_id, "auto", values=["everywhere"])
        assert (await place.stored()).auto == "everywhere"
        assert "`auto`: everywhere" in embed_text(panel)
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)


async def test_a_closed_panel_changes_nothing(
    place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel_module = live("_panel")
    opened = await place.open_panel()
    panel_id = opened.original_message_id or 0
    later = panel_module.now() + live("_pages").PANEL_SECONDS + 1
    monkeypatch.setattr(panel_module, "now", lambda: later)
    panel = await place.use(panel_id, "auto", values=["everywhere"])
    assert panel.content == panel_module.CLOSED and panel.components == []
    assert (await place.stored()).auto == "off"


async def test_an_unused_panel_closes_itself(place: Place, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live("_pages"), "PANEL_SECONDS", 0.5)
    opened = await place.open_panel()
    panel = place.double.message(opened.original_message_id or 0)
    closed = live("_panel").CLOSED
    await place.world.bounded(place.double.wait_until(lambda: panel.content == closed))
    assert panel.components == []
    assert panel.embeds  # the values stay readable
