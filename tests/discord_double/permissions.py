"""Discord's permission arithmetic: guild roles, then channel overwrites, then implicit rules.

Follows https://discord.com/developers/docs/topics/permissions: the owner and
ADMINISTRATOR get everything; @everyone's overwrite, then all role overwrites together, then
the member's overwrite; a channel you cannot view grants nothing, and one you cannot send in
grants no attachments, embeds or mentions. A thread uses its parent's overwrites and
SEND_MESSAGES_IN_THREADS instead of SEND_MESSAGES (discord.py's ``Thread.permissions_for``
agrees).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .constants import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    ATTACH_FILES,
    EMBED_LINKS,
    MENTION_EVERYONE,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    SEND_TTS_MESSAGES,
    VIEW_CHANNEL,
)

if TYPE_CHECKING:
    from .models import Channel, Guild

_NEEDS_SEND = SEND_TTS_MESSAGES | MENTION_EVERYONE | EMBED_LINKS | ATTACH_FILES


def guild_permissions(guild: Guild, user_id: int) -> int:
    """Base permissions: @everyone plus the member's roles; owner/administrator: all."""
    if user_id == guild.owner_id:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    if member is None:
        return 0
    perms = guild.roles[guild.id].permissions  # @everyone has the guild's id
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms


def channel_permissions(guild: Guild, channel: Channel, user_id: int) -> int:
    """Permissions of ``user_id`` in ``channel`` (a guild channel or thread), overwrites
    included."""
    base = guild_permissions(guild, user_id)
    if base & ADMINISTRATOR:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    if member is None:
        return 0
    source = guild.channels.get(channel.parent_id or 0) if channel.is_thread else channel
    perms = base
    if source is not None:
        overwrites = source.overwrites
        everyone = overwrites.get(guild.id)
        if everyone is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.roles:
            ow = overwrites.get(role_id)
            if ow is not None and ow.type == 0:
                allow, deny = allow | ow.allow, deny | ow.deny
        perms = (perms & ~deny) | allow
        own = overwrites.get(user_id)
        if own is not None and own.type == 1:
            perms = (perms & ~own.deny) | own.allow
    if not perms & VIEW_CHANNEL:
        return 0
    send = SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES
    if not perms & send:
        perms &= ~_NEEDS_SEND
    return perms
