"""The gateway half of the double: a real websocket speaking Discord's gateway protocol.

Flow (what discord.py 2.7.1 does, and what the double answers):

1. the client connects to ``gateway_url?v=10&encoding=json&compress=zlib-stream``;
2. the double sends HELLO (op 10); the client heartbeats at once (op 1), the double ACKs (op 11);
3. IDENTIFY (op 2) → READY (guilds as unavailable stubs) → one GUILD_CREATE per guild;
   or RESUME (op 6) → replay of missed dispatches → RESUMED;
4. dispatches (MESSAGE_CREATE, INTERACTION_CREATE, ...) follow as the test injects them.

Frames are uncompressed JSON *text* frames even though discord.py asks for
``compress=zlib-stream``: discord.py only runs its zlib context on *binary* frames, so text
frames just work. A *session* (session_id, sequence, backlog) outlives its websocket, which is
what makes RESUME after :meth:`Gateway.drop` possible.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .models import INTENT_GUILDS, INTENT_MESSAGE_CONTENT

if TYPE_CHECKING:
    from .server import DiscordDouble

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE_UPDATE = 3
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_GUILD_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

CLOSE_UNKNOWN_OPCODE = 4001
CLOSE_AUTHENTICATION_FAILED = 4004

#: How many dispatches a session keeps for replay on RESUME.
BACKLOG_SIZE = 1000


@dataclass
class GatewaySession:
    """A Discord gateway session: survives its websocket so that it can be resumed."""

    session_id: str
    intents: int
    seq: int = 0
    ws: web.WebSocketResponse | None = None
    backlog: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=BACKLOG_SIZE))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    resumes: int = 0


@dataclass
class GatewayConnection:
    """One websocket connection, for tests that check how the client (re)connected."""

    query: dict[str, str]
    opened_at: float
    kind: str | None = None  # "identify" or "resume" once the client said which
    session_id: str | None = None
    closed_at: float | None = None
    close_code: int | None = None


class Gateway:
    """Websocket handler plus the session registry and the dispatch fan-out."""

    def __init__(self, double: DiscordDouble) -> None:
        self.double = double
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: list[GatewayConnection] = []
        #: Every frame the client sent, as (time.monotonic(), frame).
        self.received: list[tuple[float, dict[str, Any]]] = []
        #: Bumped whenever a session becomes live (READY+GUILD_CREATEs sent, or RESUMED).
        self.epoch = 0
        self._sockets: set[web.WebSocketResponse] = set()

    # --- websocket handler ----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(query=dict(request.query), opened_at=time.monotonic())
        self.connections.append(conn)
        self._sockets.add(ws)
        session: GatewaySession | None = None
        try:
            interval = self.double.heartbeat_interval_ms
            await self._send(ws, {"op": OP_HELLO, "d": {"heartbeat_interval": interval}})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue  # discord.py only ever sends text frames
                frame = json.loads(msg.data)
                self.received.append((time.monotonic(), frame))
                op, data = frame.get("op"), frame.get("d")
                if op == OP_HEARTBEAT:
                    await self._send(ws, {"op": OP_HEARTBEAT_ACK, "d": None})
                elif op == OP_IDENTIFY:
                    conn.kind = "identify"
                    session = await self._identify(ws, data)
                elif op == OP_RESUME:
                    conn.kind = "resume"
                    session = await self._resume(ws, data)
                elif op == OP_REQUEST_GUILD_MEMBERS:
                    await self._members_chunk(ws, session, data)
                elif op == OP_PRESENCE_UPDATE:
                    pass  # recorded in `received`; nothing to answer
                else:
                    await ws.close(code=CLOSE_UNKNOWN_OPCODE, message=b"Unknown opcode")
                conn.session_id = session.session_id if session else None
        finally:
            if session is not None and session.ws is ws:
                session.ws = None
            self._sockets.discard(ws)
            conn.closed_at = time.monotonic()
            conn.close_code = ws.close_code
            self.double._notify()
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, data: dict[str, Any]
    ) -> GatewaySession | None:
        double = self.double
        if data.get("token") != double.token:
            # discord.py treats 4004 as fatal (ConnectionClosed), like a revoked token.
            await ws.close(code=CLOSE_AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return None
        session = GatewaySession(session_id=secrets.token_hex(16), intents=int(data["intents"]))
        self.sessions[session.session_id] = session
        async with session.lock:
            session.ws = ws
            ready = {
                "v": 10,
                "user": double.bot.to_payload(),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in double.guilds.values()],
                "session_id": session.session_id,
                "session_type": "normal",
                "resume_gateway_url": double.gateway_url,
                "application": {"id": str(double.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "user_settings": {},
                "geo_ordered_rtc_regions": [],
            }
            if "shard" in data:
                ready["shard"] = data["shard"]
            await self._emit(session, "READY", ready)
            if session.intents & INTENT_GUILDS:
                for guild in double.guilds.values():
                    await self._emit(session, "GUILD_CREATE", double.guild_create_payload(guild))
        self._bump_epoch()
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, data: dict[str, Any]
    ) -> GatewaySession | None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.double.token:
            # Not resumable: the client must IDENTIFY again (discord.py does so on d=false).
            await self._send(ws, {"op": OP_INVALID_SESSION, "d": False})
            return None
        async with session.lock:
            old = session.ws
            session.ws = ws
            if old is not None and old is not ws and not old.closed:
                await old.close(code=4000)
            last_seen = int(data.get("seq") or 0)
            for frame in list(session.backlog):
                if frame["s"] > last_seen:
                    await self._send(ws, frame)
            session.resumes += 1
            await self._emit(session, "RESUMED", {})
        self._bump_epoch()
        return session

    async def _members_chunk(
        self, ws: web.WebSocketResponse, session: GatewaySession | None, data: dict[str, Any]
    ) -> None:
        """Answer REQUEST_GUILD_MEMBERS with every member in one chunk (members intent bots)."""
        if session is None:
            return
        guild_ids = data.get("guild_id")
        for gid in guild_ids if isinstance(guild_ids, list) else [guild_ids]:
            guild = self.double.guilds.get(int(gid))
            if guild is None:
                continue
            chunk = {
                "guild_id": str(guild.id),
                "members": [
                    m.to_payload(self.double.users[m.user_id]) for m in guild.members.values()
                ],
                "chunk_index": 0,
                "chunk_count": 1,
                "nonce": data.get("nonce"),
            }
            async with session.lock:
                await self._emit(session, "GUILD_MEMBERS_CHUNK", chunk)

    # --- sending --------------------------------------------------------------------------

    @staticmethod
    async def _send(ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        frame.setdefault("s", None)
        frame.setdefault("t", None)
        await ws.send_str(json.dumps(frame))

    async def _emit(self, session: GatewaySession, event: str, data: dict[str, Any]) -> None:
        """Sequence a dispatch into the session; send it if its socket is up (caller locks)."""
        session.seq += 1
        frame = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.backlog.append(frame)
        ws = session.ws
        if ws is not None and not ws.closed:
            # On failure the frame stays in the backlog; a RESUME replays it.
            with contextlib.suppress(ConnectionResetError):
                await self._send(ws, frame)

    async def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        intent: int = 0,
        content_gated: bool = False,
    ) -> int:
        """Send a dispatch to every session whose intents cover ``intent``.

        ``content_gated`` marks a message whose content is privileged: a session without the
        MESSAGE_CONTENT intent gets it with content, embeds, attachments and components empty,
        as Discord does. Returns the number of sessions it was sequenced into.
        """
        count = 0
        for session in list(self.sessions.values()):
            if intent and not session.intents & intent:
                continue
            payload = data
            if content_gated and not session.intents & INTENT_MESSAGE_CONTENT:
                payload = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
            async with session.lock:
                await self._emit(session, event, payload)
            count += 1
        return count

    # --- test controls --------------------------------------------------------------------

    async def drop(self, code: int = 4000) -> int:
        """Close every open gateway socket with ``code`` (4000 = resumable). Returns the count."""
        sockets = [ws for ws in self._sockets if not ws.closed]
        for ws in sockets:
            await ws.close(code=code, message=b"dropped by the test double")
        return len(sockets)

    async def send_op(self, op: int, data: Any = None) -> None:
        """Send a raw opcode (e.g. RECONNECT, INVALID_SESSION) to every open socket."""
        for ws in [ws for ws in self._sockets if not ws.closed]:
            await self._send(ws, {"op": op, "d": data})

    async def invalidate(self, resumable: bool = False) -> None:
        """INVALID_SESSION: with ``resumable=False`` the sessions are forgotten too."""
        await self.send_op(OP_INVALID_SESSION, resumable)
        if not resumable:
            self.sessions.clear()

    async def close_all(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"double shutting down")

    def _bump_epoch(self) -> None:
        self.epoch += 1
        self.double._notify()
