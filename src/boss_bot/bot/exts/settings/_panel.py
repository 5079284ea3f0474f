"""The `/settings` panel: an ephemeral message of selects and buttons over a server's settings.

Every component is a :class:`discord.ui.DynamicItem` (like the Cancel button): its custom id
says whose panel it is, for which server, until when and what it does (:mod:`._pages`), and the
values live in the store. So whichever process receives a click, the one that opened the panel,
the same bot after a restart or another shard, reads the store, writes through
:meth:`~boss_bot.core.guilds.GuildSettingsService.set` (validated, audited, announced to the
other processes) and edits the panel in place from what the store now says.

Only the person who opened a panel may use it, and only while they may still change settings
(Manage Server, or the bot owner). A panel closes :data:`~._pages.PANEL_SECONDS` after its last
use: the process that rendered it last takes its components off; a click on a panel left open
(that process stopped meanwhile) is answered "closed" by whoever receives it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import discord

from boss_bot.bot.exts.settings._pages import (
    BUTTON_ACTIONS,
    CHANNEL_ACTIONS,
    PAGE_BY_NAME,
    ROLE_ACTIONS,
    STRING_ACTIONS,
    Page,
    PanelId,
    closes_at,
    template,
    until_of,
)
from boss_bot.bot.exts.settings._render import fit, permission_lines, settings_embed
from boss_bot.bot.views import is_admin
from boss_bot.core.errors import SettingsError
from boss_bot.core.guilds import spec
from boss_bot.core.settings.guilds import known_platforms

if TYPE_CHECKING:
    from boss_bot.core.guilds import GuildSettings

log = logging.getLogger(__name__)

REFUSAL = "Only the bot owner or someone with Manage Server can change this server's settings."
NOT_YOURS = "This panel is someone else's: open your own with `/settings`."
CLOSED = "This panel has closed: run `/settings` to open it again."
FOOTER = "Changes apply at once. Reset puts this page's keys back to their defaults."
#: Where channel keys apply: text channels and threads (a thread follows its parent).
CHANNEL_TYPES = [
    discord.ChannelType.text,
    discord.ChannelType.news,
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
]
#: Discord's limit on the values of a select (and on its default values).
MAX_VALUES = 25


def now() -> float:
    """The wall clock (a panel's closing time is shared by processes; tests move it)."""
    return time.time()


async def may_configure(bot: Any, user: discord.abc.User) -> bool:
    """Manage Server (or Administrator) in this server, or the bot's owner."""
    if is_admin(user, owner_ids=frozenset(getattr(bot, "admin_ids", ()))):
        return True
    return bool(await bot.is_owner(user))


# --- rendering ----------------------------------------------------------------------------------


class PanelView(discord.ui.View):
    """One rendering of a panel. Its items are dynamic (answered by any process); the view only
    closes the panel when its time is up, unless a later rendering (here or in another process)
    has moved the closing time on."""

    def __init__(self, until: int) -> None:
        super().__init__(timeout=max(until - now(), 1.0))
        self.until = until
        #: The interaction whose token edits the panel (set once it is sent).
        self.interaction: discord.Interaction | None = None

    async def on_timeout(self) -> None:
        interaction = self.interaction
        if interaction is None:
            return
        try:
            message = await interaction.original_response()
            if until_of(custom_ids(message.components)) != self.until:
                return  # used since: a later rendering closes it
            await interaction.edit_original_response(content=CLOSED, view=None)
        except (discord.HTTPException, RuntimeError, OSError) as exc:
            # dismissed, the token ran out, or the bot is stopping: nothing left to tidy
            log.debug("settings panel not closed: %s", exc)


def custom_ids(components: Sequence[Any]) -> Iterator[str]:
    """Every custom id in a message's components (action rows included)."""
    for component in components:
        custom_id = getattr(component, "custom_id", None)
        if isinstance(custom_id, str):
            yield custom_id
        yield from custom_ids(getattr(component, "children", ()))


def panel_embed(
    guild: discord.Guild, channel: object, settings: GuildSettings, defaults: GuildSettings
) -> discord.Embed:
    """The values, and the permissions the bot lacks here for what is on (when any)."""
    embed = settings_embed(guild, settings, defaults)
    lacking = permission_lines(guild, channel, settings)
    if lacking:
        embed.add_field(name="The bot lacks", value=fit(lacking), inline=False)
    return embed.set_footer(text=FOOTER)


def build_panel(
    guild: discord.Guild, opener_id: int, page: Page, settings: GuildSettings
) -> PanelView:
    """Row 0: the page; rows 1–3: a select per key of the page; row 4: its buttons."""
    until = closes_at(now())
    pid = PanelId(guild.id, opener_id, until, page.name, "page")
    view = PanelView(until)
    pages = [
        discord.SelectOption(label=p.title, value=p.name, default=p is page)
        for p in PAGE_BY_NAME.values()
    ]
    select = discord.ui.Select(custom_id=pid.custom_id("page"), options=pages, row=0)
    view.add_item(PanelSelect(pid, select))
    for row, key in enumerate(page.selects, start=1):
        view.add_item(_select_for(pid, key, settings, guild, row))
    for key in page.clears:
        clear = _button(pid, f"clear.{key}", f"Clear {key}", discord.ButtonStyle.secondary)
        clear.item.disabled = not settings.value(key)
        view.add_item(clear)
    for key in page.toggles:
        current = str(settings.value(key))
        other = next(c for c in spec(key).choices if c != current)
        style = discord.ButtonStyle.success if current == "on" else discord.ButtonStyle.secondary
        view.add_item(
            _button(pid, f"{key}.{other}", f"{key}: {current} (switch to {other})", style)
        )
    view.add_item(_button(pid, "reset", "Reset this page", discord.ButtonStyle.danger))
    return view


def _button(pid: PanelId, action: str, label: str, style: discord.ButtonStyle) -> PanelButton:
    button = discord.ui.Button(label=label, style=style, custom_id=pid.custom_id(action), row=4)
    return PanelButton(pid, button)


def _select_for(
    pid: PanelId, key: str, settings: GuildSettings, guild: discord.Guild, row: int
) -> discord.ui.Item[Any]:
    kind = spec(key).kind
    value = settings.value(key)
    custom_id = pid.custom_id(key)
    if kind == "choice":
        options = [
            discord.SelectOption(label=f"{key}: {c}", value=c, default=c == value)
            for c in spec(key).choices
        ]
        return PanelSelect(pid, discord.ui.Select(custom_id=custom_id, options=options, row=row))
    if kind == "platforms":
        names = known_platforms()
        options = [discord.SelectOption(label=n, value=n, default=n in value) for n in names]
        select = discord.ui.Select(
            custom_id=custom_id,
            options=options,
            min_values=0,
            max_values=len(options),
            placeholder=f"{key}: none",
            row=row,
        )
        return PanelSelect(pid, select)
    if kind == "channels":
        found = [int(i) for i in value if guild.get_channel_or_thread(int(i)) is not None]
        channels = discord.ui.ChannelSelect(
            custom_id=custom_id,
            channel_types=CHANNEL_TYPES,
            min_values=0,
            max_values=MAX_VALUES,
            default_values=_defaults(found, "channel"),
            placeholder=f"{key}: none",
            row=row,
        )
        return PanelChannelSelect(pid, channels)
    found = [int(i) for i in value if guild.get_role(int(i)) is not None]
    roles = discord.ui.RoleSelect(
        custom_id=custom_id,
        min_values=0,
        max_values=MAX_VALUES,
        default_values=_defaults(found, "role"),
        placeholder=f"{key}: everyone",
        row=row,
    )
    return PanelRoleSelect(pid, roles)


def _defaults(ids: list[int], kind: str) -> list[discord.SelectDefaultValue]:
    """What a channel or role select shows as already chosen (the known ones; at most 25)."""
    return [
        discord.SelectDefaultValue(id=i, type=discord.SelectDefaultValueType[kind])
        for i in ids[:MAX_VALUES]
    ]


async def show(
    interaction: discord.Interaction, page: Page, settings: GuildSettings, *, first: bool
) -> None:
    """Send the panel (``first``: the answer to `/settings`) or edit it in place."""
    guild = interaction.guild
    assert guild is not None
    bot: Any = interaction.client
    view = build_panel(guild, interaction.user.id, page, settings)
    embed = panel_embed(guild, interaction.channel, settings, bot.guild_settings.defaults)
    if first:
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
    else:
        await interaction.edit_original_response(content=None, embed=embed, view=view)
    view.interaction = interaction


# --- clicks -------------------------------------------------------------------------------------


async def allowed(interaction: discord.Interaction, pid: PanelId) -> bool:
    """Only the opener, in the panel's server, while they may still change settings."""
    reason = None
    if interaction.user.id != pid.opener or interaction.guild_id != pid.guild:
        reason = NOT_YOURS
    elif not await may_configure(interaction.client, interaction.user):
        reason = REFUSAL
    if reason is None:
        return True
    await interaction.response.send_message(reason, ephemeral=True)
    return False


async def act(interaction: discord.Interaction, pid: PanelId, words: Sequence[str]) -> None:
    """Do what a component says (switch page, set, clear, flip, reset), then show the panel as
    the store now has it. Refusals (a value the store no longer takes) are one ephemeral line."""
    if pid.expired(now()):
        await interaction.response.edit_message(content=CLOSED, view=None)
        return
    await interaction.response.defer()  # the store may take a moment; Discord waits 3 s only
    service = interaction.client.guild_settings  # type: ignore[attr-defined]
    page = PAGE_BY_NAME[pid.page]
    by = interaction.user.id
    try:
        if pid.action == "page":
            page = PAGE_BY_NAME.get(words[0], page) if words else page
        elif pid.action == "reset":
            for key in page.keys:
                await service.reset(pid.guild, key, by=by)
        elif pid.action.startswith("clear."):
            await service.set(pid.guild, pid.action.removeprefix("clear."), ["none"], by=by)
        elif "." in pid.action:  # a toggle: "<key>.<value>"
            key, _, value = pid.action.partition(".")
            await service.set(pid.guild, key, [value], by=by)
        else:
            await service.set(pid.guild, pid.action, list(words) or ["none"], by=by)
    except SettingsError as exc:
        await interaction.followup.send(exc.user_message, ephemeral=True)
    await show(interaction, page, await service.get(pid.guild), first=False)


# --- the dynamic items --------------------------------------------------------------------------


class _PanelItem:
    """What every panel item does: its state is its custom id (so the panel works after a
    restart and from any shard's process), only the opener may use it, and using it runs
    :func:`act` with the item's chosen words. Mixed in before ``discord.ui.DynamicItem``."""

    item: Any

    def __init__(self, pid: PanelId, item: Any) -> None:
        super().__init__(item)  # type: ignore[call-arg]  # discord.ui.DynamicItem's
        self.pid = pid

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Any, match: re.Match[str]
    ) -> Any:
        return cls(PanelId.from_match(match), item)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await allowed(interaction, self.pid)

    async def callback(self, interaction: discord.Interaction) -> None:
        await act(interaction, self.pid, self.words())

    def words(self) -> list[str]:
        """What was chosen, as the words ``$settings set`` would take."""
        return []


class PanelButton(
    _PanelItem, discord.ui.DynamicItem[discord.ui.Button[Any]], template=template(BUTTON_ACTIONS)
):
    """Clear a list, flip an on/off key, or reset the page."""


class PanelSelect(
    _PanelItem, discord.ui.DynamicItem[discord.ui.Select[Any]], template=template(STRING_ACTIONS)
):
    """The page, or a key with fixed values (choices, platforms)."""

    def words(self) -> list[str]:
        return [str(v) for v in self.item.values]


class PanelChannelSelect(
    _PanelItem,
    discord.ui.DynamicItem[discord.ui.ChannelSelect[Any]],
    template=template(CHANNEL_ACTIONS),
):
    """A channel list key (text channels and threads; none selected clears it)."""

    def words(self) -> list[str]:
        return [str(c.id) for c in self.item.values]


class PanelRoleSelect(
    _PanelItem, discord.ui.DynamicItem[discord.ui.RoleSelect[Any]], template=template(ROLE_ACTIONS)
):
    """A role list key (none selected: everyone)."""

    def words(self) -> list[str]:
        return [str(r.id) for r in self.item.values]


#: Registered with ``bot.add_dynamic_items`` by the cog.
PANEL_ITEMS = (PanelButton, PanelSelect, PanelChannelSelect, PanelRoleSelect)

__all__ = [
    "CLOSED",
    "NOT_YOURS",
    "PANEL_ITEMS",
    "REFUSAL",
    "PanelView",
    "act",
    "allowed",
    "build_panel",
    "may_configure",
    "show",
]
