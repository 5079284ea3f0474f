"""State model of the Discord test double: who exists, where, and what was received.

Everything here is plain data. The REST and gateway handlers mutate it; tests read it.
The ``to_payload`` methods render the JSON shapes discord.py 2.7.1 parses, with every
key it reads unconditionally (``data['x']``) present, so parsing never hits a KeyError.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# --- Discord constants --------------------------------------------------------------------

MIB = 1024 * 1024
DISCORD_EPOCH_MS = 1_420_070_400_000

#: Per-file upload limit by guild premium tier (what ``discord.Guild.filesize_limit`` says).
TIER_FILE_LIMITS: dict[int, int] = {0: 10 * MIB, 1: 10 * MIB, 2: 50 * MIB, 3: 100 * MIB}
#: Per-file limit in DMs (and for anything outside a guild).
DM_FILE_LIMIT = 10 * MIB
MAX_ATTACHMENTS = 10
MAX_CONTENT_LENGTH = 2000
MAX_EMBEDS = 10

# Channel types
CHANNEL_TEXT = 0
CHANNEL_DM = 1

# Permission bits (https://discord.com/developers/docs/topics/permissions)
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
ALL_PERMISSIONS = (1 << 53) - 1
#: What @everyone gets in a fresh guild, close enough to Discord's default for a bot's needs.
DEFAULT_EVERYONE_PERMISSIONS = (
    ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
)

# Gateway intents the double honours when filtering dispatches.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15

# Message types and flags
MESSAGE_DEFAULT = 0
MESSAGE_REPLY = 19
MESSAGE_CHAT_INPUT_COMMAND = 20
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

_MENTION_RE = re.compile(r"<@!?(\d+)>")


def iso(ts: float) -> str:
    """Discord's ISO-8601 timestamp for a wall-clock time."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


def mentioned_ids(content: str) -> list[int]:
    """User ids mentioned as ``<@id>``/``<@!id>`` in ``content``, in order, without repeats."""
    return list(dict.fromkeys(int(m) for m in _MENTION_RE.findall(content or "")))


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


# --- Entities -----------------------------------------------------------------------------


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

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


@dataclass
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


@dataclass
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


@dataclass
class Channel:
    id: int
    name: str
    type: int = CHANNEL_TEXT
    guild_id: int | None = None
    position: int = 0
    #: For DMs: the other user (the bot is implicitly the second recipient).
    recipient_id: int | None = None

    @property
    def is_dm(self) -> bool:
        return self.type == CHANNEL_DM


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    premium_tier: int = 0
    #: When set, the per-file limit the double really enforces, lower than the tier says.
    #: Simulates Discord lowering limits without discord.py (or the bot) knowing.
    real_limit_override: int | None = None
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)

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
        """The first text channel (``add_guild`` always creates one)."""
        return next(c.id for c in self.channels.values() if c.type == CHANNEL_TEXT)

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions: owner and administrators get everything."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members.get(user_id)
        if member is None:
            return 0
        perms = self.roles[self.id].permissions  # @everyone has the guild's id
        for role_id in member.roles:
            perms |= self.roles[role_id].permissions
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms


# --- What the double received -------------------------------------------------------------


@dataclass
class StoredAttachment:
    """An uploaded file. The bytes live on disk (``path``), streamed there while parsing,
    so the double never holds a large upload in memory (the bot under test shares the
    process, and its memory use may be measured)."""

    id: int
    filename: str
    size: int
    content_type: str
    #: What the client declared in the multipart part (discord.py always says octet-stream).
    declared_content_type: str | None
    path: Path
    sha256: str
    url: str
    description: str | None = None

    @property
    def data(self) -> bytes:
        """The uploaded bytes (read from disk on each access)."""
        return self.path.read_bytes()

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }
        if self.description is not None:
            payload["description"] = self.description
        return payload


@dataclass
class MessageEdit:
    """One accepted PATCH of a message: when it arrived and what the message became."""

    at: float  # time.monotonic(), for measuring intervals (edit throttling)
    timestamp: float  # time.time()
    content: str
    attachment_ids: list[int]
    payload: dict[str, Any]


@dataclass
class StoredMessage:
    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str
    created_at: float  # time.time()
    created_monotonic: float
    attachments: list[StoredAttachment] = field(default_factory=list)
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    type: int = MESSAGE_DEFAULT
    nonce: str | None = None
    reference: dict[str, Any] | None = None
    webhook_id: int | None = None
    interaction_id: int | None = None
    #: The JSON body (or payload_json) of the creating request, as sent.
    payload: dict[str, Any] = field(default_factory=dict)
    edits: list[MessageEdit] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)
    deleted: bool = False
    deleted_at: float | None = None

    @property
    def edited_at(self) -> float | None:
        return self.edits[-1].timestamp if self.edits else None

    @property
    def total_attachment_bytes(self) -> int:
        return sum(a.size for a in self.attachments)


@dataclass
class RequestRecord:
    method: str
    path: str
    query: str
    status: int
    at: float  # time.monotonic() when the request arrived
    duration: float
    #: The matched route template (e.g. "/api/v10/channels/{channel_id}/messages").
    route: str | None
    fault: str | None = None  # set when an injected fault produced the response


@dataclass
class UnknownRoute:
    method: str
    path: str
    at: float


@dataclass
class Fault:
    """An injected failure: the next ``remaining`` requests matching it get ``status``."""

    method: str
    path_glob: str  # fnmatch pattern against the path below the API base
    status: int
    remaining: int
    retry_after: float = 0.1
    is_global: bool = False
    body: dict[str, Any] | None = None
    hits: int = 0


@dataclass
class Latency:
    """Injected slowness: the next ``remaining`` requests matching it wait ``seconds`` first
    (a large upload takes a while on real Discord; tests that watch progress need that)."""

    method: str
    path_glob: str
    seconds: float
    remaining: int
    #: Only requests that carry files (multipart bodies): uploads, not plain messages.
    uploads_only: bool = False
    hits: int = 0


@dataclass
class Interaction:
    """An injected interaction and everything the bot answered to it."""

    id: int
    token: str
    type: int
    channel_id: int
    guild_id: int | None
    user_id: int
    payload: dict[str, Any]
    #: For component interactions: the message whose component was used.
    message_id: int | None = None
    #: Callback bodies (POST /interactions/{id}/{token}/callback), in order.
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
