"""How a server's settings read in Discord: the embed of `$settings` and of the panel, the
permissions the bot lacks for what is on, and the audit as lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import discord

from boss_bot.bot.checks import parent_id
from boss_bot.bot.exts.settings._needs import describe, features_in, missing
from boss_bot.bot.exts.settings._pages import PAGES
from boss_bot.core.guilds import KEYS, describe_change, display, spec

if TYPE_CHECKING:
    from boss_bot.core.guilds import Change, GuildSettings

#: Ids shown per list value (the rest is counted): a field holds 1,024 characters.
MAX_ITEMS = 8
#: Channels checked for missing permissions besides the one asked in (auto=channels).
MAX_CHANNELS_CHECKED = 5
FIELD_LIMIT = 1024
MESSAGE_LIMIT = 2000
COLOUR = discord.Colour.blurple()
ALL_GOOD = "Nothing missing for what is on here."


def shown(key: str, value: Any) -> str:
    """A value as it reads in an embed: mentions, at most :data:`MAX_ITEMS` of them."""
    if isinstance(value, tuple) and len(value) > MAX_ITEMS:
        rest = len(value) - MAX_ITEMS
        return f"{display(key, value[:MAX_ITEMS])} (+{rest} more)"
    return display(key, value)


def value_lines(settings: GuildSettings, defaults: GuildSettings, keys: Iterable[str]) -> list[str]:
    """``auto: channels`` per key, *(default)* where the server kept the default."""
    lines = []
    for key in keys:
        value = settings.value(key)
        mark = " *(default)*" if value == defaults.value(key) else ""
        lines.append(f"`{key}`: {shown(key, value)}{mark}")
    return lines


def fit(lines: Sequence[str], limit: int = FIELD_LIMIT) -> str:
    """Lines joined into one embed field, cut at a line with "…" when too long."""
    out: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > limit - 2:
            out.append("…")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out) or "—"


def settings_embed(
    guild: discord.Guild, settings: GuildSettings, defaults: GuildSettings
) -> discord.Embed:
    """Every key, grouped as the panel's pages are."""
    embed = discord.Embed(title=f"Settings of {guild.name}", colour=COLOUR)
    for page in PAGES:
        embed.add_field(
            name=page.title, value=fit(value_lines(settings, defaults, page.keys)), inline=False
        )
    return embed


def permission_lines(guild: discord.Guild, here: object, settings: GuildSettings) -> list[str]:
    """``#channel: Manage Messages (original=suppress), …`` for the channel asked in and, with
    ``auto=channels``, the first few automatic channels: what the bot lacks there for what the
    settings turn on. Empty when nothing is missing."""
    me = guild.me
    if me is None:
        return []
    here_id = getattr(here, "id", None)
    checked: list[Any] = [here] if here_id is not None else []
    lines = []
    if settings.auto == "channels":
        others = [i for i in settings.auto_channels if i != here_id][:MAX_CHANNELS_CHECKED]
        for channel_id in others:
            channel = guild.get_channel_or_thread(channel_id)
            if channel is None:
                lines.append(f"<#{channel_id}>: not found (deleted?), in `auto_channels`")
            else:
                checked.append(channel)
    found = []
    for channel in checked:
        features = features_in(settings, channel.id, parent_id(channel))
        if not features or not hasattr(channel, "permissions_for"):
            continue
        lacking = missing(
            channel.permissions_for(me), features, thread=isinstance(channel, discord.Thread)
        )
        if lacking:
            found.append(f"<#{channel.id}>: {describe(lacking)}")
    return found + lines


def audit_lines(changes: Iterable[Change]) -> list[str]:
    """``<t:…:R> <@who>: quality: 720p → 1080p`` per change, newest first."""
    lines = []
    for change in changes:
        who = f"<@{change.by}>" if change.by is not None else "an operator (bossctl)"
        how = "" if change.action == "set" else f" ({change.action})"
        what = describe_change(change.key, change.old, change.new)
        lines.append(f"<t:{int(change.at)}:R> {who}: {what}{how}")
    return lines


def strangers(guild: discord.Guild, settings: GuildSettings, limit: int = 5) -> str:
    """The channel and role ids in the settings this server does not know (an import from
    another server names its channels), as ``channel 123, role 456``; empty when none."""
    unknown = []
    for key in KEYS:
        kind = spec(key).kind
        if kind not in ("channels", "roles"):
            continue
        for ident in settings.value(key):
            found = (
                guild.get_channel_or_thread(int(ident))
                if kind == "channels"
                else guild.get_role(int(ident))
            )
            if found is None:
                unknown.append(f"{kind[:-1]} {ident} ({key})")
    more = f" and {len(unknown) - limit} more" if len(unknown) > limit else ""
    return ", ".join(unknown[:limit]) + more


def as_text(embed: discord.Embed, limit: int = MESSAGE_LIMIT) -> str:
    """An embed as plain text, for a channel where the bot may not embed links."""
    parts = [f"**{embed.title}**"] if embed.title else []
    parts += [f"**{field.name}**\n{field.value}" for field in embed.fields]
    if embed.footer.text:
        parts.append(embed.footer.text)
    text = "\n".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "ALL_GOOD",
    "as_text",
    "audit_lines",
    "fit",
    "permission_lines",
    "settings_embed",
    "shown",
    "strangers",
    "value_lines",
]
