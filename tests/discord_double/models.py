"""State model of the Discord test double: who exists, where, and what was received.

Everything here is plain data. The REST and gateway handlers mutate it; tests read it.
The ``to_payload`` methods render the JSON shapes discord.py 2.7.1 parses, with every
key it reads unconditionally (``data['x']``) present, so parsing never hits a KeyError.
Entities use ``slots``: a double serving thousands of guilds shares the process (and the
memory measurement) with the bot under test.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .constants import (
    CHANNEL_CATEGORY,
    CHANNEL_DM,
    CHANNEL_GROUP_DM,
    CHANNEL_TEXT,
    CHANNEL_VOICE,
    DISCORD_EPOCH_MS,
    THREAD_TYPES,
    TIER_FILE_LIMITS,
)
from .permissions import guild_permissions

_MENTION_RE = re.compile(r"<@!?(\d+)>")


def iso(ts: float) -> str:
    """Discord's ISO-8601 timestamp for a wall-clock time."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


def mentioned_ids(content: str) -> list[int]:
    """User ids mentioned as ``<@id>``/``<@!id>`` in ``content``, in order, without repeats."""
    return list(dict.fromkeys(int(m) for m in _MENTION_RE.findall(content or "")))


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """Discord's shard formula; DMs (no guild) belong to shard 0."""
    return 0 if guild_id is None else (guild_id >> 22) % shard_count


class SnowflakeFactory:
    """Monotonic snowflakes: time-based like Discord's, so ids sort in creation order."""

    def __init__(self) -> None:
        self._counter = itertools.count()
        self._last = 0

    def __call__(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (next(self._counter) & 0xFFF)
        # Never go backwards, even if the counter wraps within one millisecond.
        self._last = max(value, self._last + 1)
        return self._last

    def spread(self, shard: tuple[int, int] | None = None) -> int:
        """An id with a timestamp part of its own (``id >> 22`` unique and increasing).

        Shards are ``(guild_id >> 22) % n``: guild ids made within one millisecond would all
        land on one shard, so guild ids take a fresh millisecond each (running a little ahead
        of the clock when many are made at once), which spreads them round-robin. ``shard``
        ``(i, n)`` picks the next millisecond on shard ``i`` of ``n``.
        """
        ms = max(int(time.time() * 1000) - DISCORD_EPOCH_MS, (self._last >> 22) + 1)
        if shard is not None:
            index, count = shard
            ms += (index - ms) % count
        self._last = ms << 22
        return self._last


# --- Entities -----------------------------------------------------------------------------


@dataclass(slots=True)
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    #: False: the bot may not DM this user (403 50007), as when no guild or install is shared.
    accepts_dms: bool = True

    def to_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass(slots=True)
class Role:
    id: int
    name: str
    permissions: int = 0
    position: int = 0

    def to_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass(slots=True)
class Member:
    """A user's membership in one guild. ``roles`` excludes @everyone, as on Discord."""

    user_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: float = field(default_factory=time.time)

    def to_payload(self, user: User | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "joined_at": iso(self.joined_at),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "avatar": None,
            "premium_since": None,
            "communication_disabled_until": None,
        }
        if user is not None:
            payload["user"] = user.to_payload()
        return payload


@dataclass(slots=True)
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def to_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass(slots=True)
class Channel:
    id: int
    name: str
    type: int = CHANNEL_TEXT
    guild_id: int | None = None
    position: int = 0
    #: For DMs with the bot: the other user (the bot is implicitly the second recipient).
    recipient_id: int | None = None
    #: For private channels the bot is not in (user-install contexts): their members.
    recipient_ids: list[int] = field(default_factory=list)
    nsfw: bool = False
    #: Category of a guild channel, or the parent channel of a thread.
    parent_id: int | None = None
    #: Who started a thread.
    owner_id: int | None = None
    topic: str | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)

    @property
    def is_dm(self) -> bool:
        return self.type == CHANNEL_DM

    @property
    def is_private(self) -> bool:
        """A DM or group DM (no guild)."""
        return self.type in (CHANNEL_DM, CHANNEL_GROUP_DM)

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def bot_is_recipient(self) -> bool:
        """For private channels: whether this is the bot's own DM (else a user-install one)."""
        return self.is_dm and self.recipient_id is not None

    @property
    def is_guild_channel(self) -> bool:
        return self.type in (CHANNEL_TEXT, CHANNEL_VOICE, CHANNEL_CATEGORY)


@dataclass(slots=True)
class Guild:
    id: int
    name: str
    owner_id: int
    premium_tier: int = 0
    #: When set, the per-file limit the double really enforces, lower than the tier says.
    #: Simulates Discord lowering limits without discord.py (or the bot) knowing.
    real_limit_override: int | None = None
    roles: dict[int, Role] = field(default_factory=dict)
    #: Non-thread channels (text, voice, categories), in creation order.
    channels: dict[int, Channel] = field(default_factory=dict)
    #: Active threads (sent in GUILD_CREATE ``threads``).
    threads: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)
    #: The ``member_count`` Discord reports, when larger than the members the double knows
    #: (a big guild whose members are not all sent, as without the members intent).
    claimed_member_count: int | None = None
    _default_channel: int | None = None

    @property
    def advertised_file_limit(self) -> int:
        """The limit the tier advertises (what ``discord.Guild.filesize_limit`` reports)."""
        return TIER_FILE_LIMITS[self.premium_tier]

    @property
    def file_limit(self) -> int:
        """The limit actually enforced on uploads."""
        if self.real_limit_override is not None:
            return self.real_limit_override
        return self.advertised_file_limit

    @property
    def default_channel_id(self) -> int:
        """The first text channel (``add_guild`` creates one unless told otherwise)."""
        if self._default_channel is None:
            self._default_channel = next(
                c.id for c in self.channels.values() if c.type == CHANNEL_TEXT
            )
        return self._default_channel

    @property
    def member_count(self) -> int:
        return max(len(self.members), self.claimed_member_count or 0)

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions (see :mod:`.permissions` for channel-level ones)."""
        return guild_permissions(self, user_id)
