"""Gateway bookkeeping: sessions (resumable, per shard), connections and what each received."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .models import shard_of

#: ``guild_id`` for dispatches every shard gets (READY, RESUMED, USER_UPDATE...).
EVERY_SHARD = -1
#: ``guild_id`` default of ``dispatch``: read it from the payload's ``guild_id`` (None: a DM).
FROM_PAYLOAD = -2
#: How many dispatches a session keeps for replay on RESUME, and how many bytes at most
#: (GUILD_CREATEs of thousands of guilds would otherwise stay in memory).
BACKLOG_SIZE = 1000
BACKLOG_BYTES = 4 * 1024 * 1024


def guild_of(data: dict[str, Any]) -> int | None:
    raw = data.get("guild_id")
    return int(raw) if raw else None


@dataclass
class DispatchRecord:
    """One dispatch queued to a connection: what, which sequence, for which guild, when."""

    event: str
    seq: int
    guild_id: int | None
    #: The payload's ``id`` (message, interaction or guild id), if it has one.
    ref_id: str | None
    at: float  # time.monotonic()
    replayed: bool = False


@dataclass(slots=True)
class BacklogEntry:
    seq: int
    event: str
    guild_id: int | None
    ref_id: str | None
    text: str

    def record(self, *, replayed: bool = False) -> DispatchRecord:
        return DispatchRecord(
            self.event, self.seq, self.guild_id, self.ref_id, time.monotonic(), replayed
        )


@dataclass
class GatewaySession:
    """A Discord gateway session: survives its websocket so that it can be resumed."""

    session_id: str
    intents: int
    #: ``(shard_id, shard_count)`` from IDENTIFY; None = unsharded (owns everything).
    shard: tuple[int, int] | None = None
    large_threshold: int = 50
    seq: int = 0
    conn: GatewayConnection | None = None
    backlog: deque[BacklogEntry] = field(default_factory=lambda: deque(maxlen=BACKLOG_SIZE))
    backlog_bytes: int = 0
    resumes: int = 0

    @property
    def shard_id(self) -> int:
        return self.shard[0] if self.shard else 0

    @property
    def ws(self) -> web.WebSocketResponse | None:
        return self.conn.ws if self.conn is not None else None

    def owns(self, guild_id: int | None) -> bool:
        """Whether events of ``guild_id`` (None: DMs) go to this session."""
        if guild_id == EVERY_SHARD or self.shard is None:
            return True
        index, count = self.shard
        return shard_of(guild_id, count) == index

    def remember(self, event: str, guild_id: int | None, ref_id: Any, text: str) -> BacklogEntry:
        gid = None if guild_id == EVERY_SHARD else guild_id
        entry = BacklogEntry(self.seq, event, gid, str(ref_id) if ref_id else None, text)
        if len(self.backlog) == self.backlog.maxlen:
            self.backlog_bytes -= len(self.backlog[0].text)
        self.backlog.append(entry)
        self.backlog_bytes += len(text)
        while self.backlog_bytes > BACKLOG_BYTES and len(self.backlog) > 1:
            self.backlog_bytes -= len(self.backlog.popleft().text)
        return entry

    def can_replay_after(self, seq: int) -> bool:
        """Whether every dispatch after ``seq`` is still in the backlog (else Discord would
        refuse the RESUME)."""
        if seq >= self.seq:
            return True
        return bool(self.backlog) and self.backlog[0].seq <= seq + 1


@dataclass
class GatewayConnection:
    """One websocket connection, for tests that check how the client (re)connected and what
    it was sent."""

    query: dict[str, str]
    opened_at: float
    kind: str | None = None  # "identify" or "resume" once the client said which
    session_id: str | None = None
    closed_at: float | None = None
    close_code: int | None = None
    #: ``(shard_id, shard_count)`` of the session on this socket; None = unsharded.
    shard: tuple[int, int] | None = None
    #: True once READY (+ GUILD_CREATEs) or RESUMED went out.
    ready: bool = False
    #: Every dispatch queued to this socket, in order.
    events: list[DispatchRecord] = field(default_factory=list)
    ws: web.WebSocketResponse | None = field(default=None, repr=False, compare=False)
    queue: asyncio.Queue[str] | None = field(default=None, repr=False, compare=False)

    @property
    def shard_id(self) -> int:
        return self.shard[0] if self.shard else 0

    def event_names(self) -> list[str]:
        return [e.event for e in self.events]
