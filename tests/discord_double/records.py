"""What the double received and answered: messages, reactions, requests, interactions.

Plain data the REST and gateway handlers append to; tests read it (see the inspection
helpers on :class:`~tests.discord_double.DiscordDouble`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .constants import FLAG_EPHEMERAL, MESSAGE_DEFAULT

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

    @property
    def spoiler(self) -> bool:
        return self.filename.startswith("SPOILER_")

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
    flags: int = 0


@dataclass
class FlagChange:
    """A change of a message's flags (e.g. the bot suppressing a user's embeds)."""

    at: float  # time.monotonic()
    by: int  # user id of whoever changed them (the bot)
    before: int
    after: int


@dataclass
class ReactionEvent:
    """One reaction added or removed, by whom, when (time.monotonic())."""

    kind: str  # "add" | "remove"
    emoji: str  # as in the URL: "⏳" or "name:id"
    user_id: int
    at: float
    by: int | None = None  # who removed it, when not the reactor (MANAGE_MESSAGES)


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
    reaction_events: list[ReactionEvent] = field(default_factory=list)
    flag_changes: list[FlagChange] = field(default_factory=list)
    #: For an ephemeral interaction message: the one user who can see it.
    ephemeral_to: int | None = None
    deleted: bool = False
    deleted_at: float | None = None
    deleted_by: int | None = None

    @property
    def edited_at(self) -> float | None:
        return self.edits[-1].timestamp if self.edits else None

    @property
    def total_attachment_bytes(self) -> int:
        return sum(a.size for a in self.attachments)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    def reactors(self) -> dict[str, list[int]]:
        """Current reactions: emoji → user ids, in the order they reacted."""
        current: dict[str, list[int]] = {}
        for ev in self.reaction_events:
            users = current.setdefault(ev.emoji, [])
            if ev.kind == "add" and ev.user_id not in users:
                users.append(ev.user_id)
            elif ev.kind == "remove" and ev.user_id in users:
                users.remove(ev.user_id)
        return {emoji: users for emoji, users in current.items() if users}

    @property
    def reactions(self) -> list[str]:
        """Emojis currently on the message (by anyone), in first-reaction order."""
        return list(self.reactors())


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
    #: Discord's error code for a 4xx/5xx JSON answer (e.g. 50013), else None.
    code: int | None = None


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
    #: Per-file limit on this interaction's callback/webhook uploads (``attachment_size_limit``).
    attachment_size_limit: int = 0
    #: time.monotonic() after which the token is dead (webhook calls get 401 / 50027).
    expires_at: float = float("inf")
    created_monotonic: float = field(default_factory=time.monotonic)
    #: "guild" or "user": who installed the app for this interaction.
    install: str = "guild"
    #: 0 guild, 1 bot DM, 2 private channel.
    context: int = 0
    #: Webhook calls answered 401 because the token had expired.
    expired_calls: int = 0

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.expires_at

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot opened in answer (callback type 9), if any."""
        for body in self.callbacks:
            if int(body.get("type", 0)) == 9:
                return body.get("data") or {}
        return None
