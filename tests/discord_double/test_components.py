"""Component interactions against real discord.py: an ephemeral settings-style panel with
string, channel, role and user selects, a button opening a modal, and the modal submit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from discord.ext import commands

from . import Channel, DiscordDouble, Guild, Interaction, Role, User
from .harness import QuietIdentify, Running, running

Log = list[tuple[str, Any]]


class RenameModal(discord.ui.Modal, title="Rename"):
    name: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Name", custom_id="name")

    def __init__(self, log: Log) -> None:
        super().__init__(custom_id="rename-modal")
        self.log = log

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.log.append(("modal", self.name.value))
        await interaction.response.send_message(f"renamed to {self.name.value}", ephemeral=True)


class Panel(discord.ui.View):
    def __init__(self, log: Log) -> None:
        super().__init__(timeout=60)
        self.log = log

    @discord.ui.select(
        custom_id="mode",
        options=[discord.SelectOption(label=v) for v in ("off", "channels", "everywhere")],
    )
    async def mode(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        self.log.append(("mode", select.values))
        await interaction.response.edit_message(content=f"auto={select.values[0]}")

    @discord.ui.select(cls=discord.ui.ChannelSelect, custom_id="channels", max_values=5)
    async def channels(
        self, interaction: discord.Interaction, select: discord.ui.ChannelSelect[Any]
    ) -> None:
        self.log.append(("channels", select.values))
        # An AppCommandThread has no is_nsfw() (nor nsfw): a thread follows its parent.
        names = ", ".join(
            f"{c.name}{'(18+)' if getattr(c, 'nsfw', False) else ''}" for c in select.values
        )
        await interaction.response.send_message(names, ephemeral=True)

    @discord.ui.select(cls=discord.ui.RoleSelect, custom_id="roles", max_values=3)
    async def roles(
        self, interaction: discord.Interaction, select: discord.ui.RoleSelect[Any]
    ) -> None:
        self.log.append(("roles", select.values))
        await interaction.response.defer()  # type 6: acknowledged, nothing shown

    @discord.ui.select(cls=discord.ui.UserSelect, custom_id="users")
    async def users(
        self, interaction: discord.Interaction, select: discord.ui.UserSelect[Any]
    ) -> None:
        self.log.append(("users", select.values))
        await interaction.response.defer()

    @discord.ui.button(label="Rename", custom_id="rename")
    async def rename(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.send_modal(RenameModal(self.log))


class PanelBot(QuietIdentify, commands.Bot):
    def __init__(self) -> None:
        super().__init__(
            command_prefix="$",
            intents=discord.Intents.default(),
            help_command=None,
            guild_ready_timeout=0.1,
            max_messages=None,
        )
        self.log: Log = []

        @self.tree.command()
        async def panel(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                "settings", view=Panel(self.log), ephemeral=True
            )


@dataclass
class World:
    run: Running
    guild: Guild
    general: Channel
    adults: Channel
    thread: Channel
    mods: Role
    alice: User
    bob: User

    @property
    def double(self) -> DiscordDouble:
        return self.run.double

    @property
    def bot(self) -> PanelBot:
        return self.run.bot

    async def open_panel(self) -> int:
        """``/panel`` by alice; returns the ephemeral panel's message id."""
        asked = await self.double.inject_interaction(self.general.id, self.alice.id, "panel")
        await self.run.until(lambda: asked.original_message_id)
        assert asked.original_message_id is not None
        return asked.original_message_id

    async def answered(self, interaction: Interaction) -> dict[str, Any]:
        await self.run.until(lambda: interaction.callbacks)
        return interaction.callbacks[0]


@pytest.fixture
async def world(caplog: pytest.LogCaptureFixture) -> AsyncIterator[World]:
    async with DiscordDouble() as double:
        guild = double.add_guild("g")
        general = double.channels[guild.default_channel_id]
        adults = double.add_text_channel(guild.id, "adults", nsfw=True)
        thread = double.add_thread(general.id, "chat")
        mods = double.add_role(guild.id, "mods")
        alice, bob = double.add_user("alice"), double.add_user("bob")
        double.add_member(guild.id, alice.id)
        double.add_member(guild.id, bob.id, roles=[mods.id])
        async with running(double, PanelBot(), caplog=caplog) as run:
            yield World(run, guild, general, adults, thread, mods, alice, bob)


async def test_ephemeral_panel_is_seen_only_by_its_user(world: World) -> None:
    double = world.double
    panel_id = await world.open_panel()
    panel = double.message(panel_id)
    assert panel.ephemeral and panel.ephemeral_to == world.alice.id
    assert double.public_messages(world.general.id) == []
    assert double.visible_messages(world.general.id, world.bob.id) == []
    assert double.visible_messages(world.general.id, world.alice.id) == [panel]
    assert double.ephemeral_messages(world.alice.id) == [panel]
    # Discord tells nobody else, not even the bot's gateway, and the channel routes deny it.
    assert all(r.ref_id != str(panel_id) for r in double.dispatched("MESSAGE_CREATE"))
    with pytest.raises(discord.NotFound):
        await world.bot.get_partial_messageable(world.general.id).fetch_message(panel_id)


async def test_string_select_updates_the_panel(world: World) -> None:
    panel_id = await world.open_panel()
    picked = await world.double.select(panel_id, "mode", world.alice.id, ["channels"])
    assert (await world.answered(picked))["type"] == 7
    panel = world.double.message(panel_id)
    assert (panel.content, panel.ephemeral) == ("auto=channels", True)
    assert world.bot.log == [("mode", ["channels"])]


async def test_channel_select_resolves_channels_and_threads(world: World) -> None:
    double = world.double
    panel_id = await world.open_panel()
    picked = await double.select(
        panel_id, "channels", world.alice.id, [world.adults.id, world.thread.id]
    )
    await world.answered(picked)
    [(_, values)] = world.bot.log
    assert [(type(v).__name__, v.id) for v in values] == [
        ("AppCommandChannel", world.adults.id),
        ("AppCommandThread", world.thread.id),
    ]
    assert values[0].is_nsfw() and values[1].parent_id == world.general.id
    assert not hasattr(values[1], "is_nsfw")  # discord.py 2.7.1: ask the parent
    [reply] = [m for m in double.ephemeral_messages(world.alice.id) if m.id != panel_id]
    assert reply.content == "adults(18+), chat"


async def test_role_and_user_selects_resolve(world: World) -> None:
    double = world.double
    panel_id = await world.open_panel()
    roles = await double.select(panel_id, "roles", world.alice.id, [world.mods.id])
    assert (await world.answered(roles))["type"] == 6
    users = await double.select(panel_id, "users", world.alice.id, [world.bob.id])
    await world.answered(users)
    (_, [role]), (_, [member]) = world.bot.log
    assert isinstance(role, discord.Role) and role.name == "mods"
    assert isinstance(member, discord.Member) and member.id == world.bob.id
    assert [r.name for r in member.roles] == ["@everyone", "mods"]


async def test_button_opens_a_modal_and_the_submit_is_answered(world: World) -> None:
    double = world.double
    panel_id = await world.open_panel()
    click = await double.click_button(panel_id, "rename", world.alice.id)
    assert (await world.answered(click))["type"] == 9
    assert click.modal is not None and click.modal["custom_id"] == "rename-modal"
    submit = await double.submit_modal(click, {"name": "new name"})
    await world.answered(submit)
    assert world.bot.log == [("modal", "new name")]
    reply = double.message(submit.original_message_id or 0)
    assert (reply.content, reply.ephemeral_to) == ("renamed to new name", world.alice.id)
