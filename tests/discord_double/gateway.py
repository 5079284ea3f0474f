"""The gateway half of the double: a real websocket speaking Discord's gateway protocol.

Flow (what discord.py 2.7.1 does, and what the double answers):

1. the client connects to ``gateway_url?v=10&encoding=json&compress=zlib-stream``;
2. the double sends HELLO (op 10); the client heartbeats at once (op 1), the double ACKs (op 11);
3. IDENTIFY (op 2) → READY (the shard's guilds as unavailable stubs) → one GUILD_CREATE per
   guild of that shard; or RESUME (op 6) → replay of missed dispatches → RESUMED;
4. dispatches (MESSAGE_CREATE, INTERACTION_CREATE, ...) follow as the test injects them, each
   only to the sessions whose shard owns the guild (``(guild_id >> 22) % n``; DMs: shard 0).

Frames are uncompressed JSON *text* frames even though discord.py asks for
``compress=zlib-stream``: discord.py only runs its zlib context on *binary* frames, so text
frames just work. A *session* (session_id, sequence, backlog) outlives its websocket, which is
what makes RESUME after :meth:`Gateway.drop` possible.

Sequencing is synchronous (``dispatch_nowait``): a frame gets its sequence number and joins
the connection's outgoing queue at the moment of the call, and one writer task per
connection sends the queue in order. So event order is call order, and configuration
methods (which are not coroutines) can dispatch too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .constants import INTENT_GUILDS, INTENT_MESSAGE_CONTENT
from .gateway_state import (
    EVERY_SHARD,
    FROM_PAYLOAD,
    DispatchRecord,
    GatewayConnection,
    GatewaySession,
    guild_of,
)

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
CLOSE_INVALID_SHARD = 4010
CLOSE_SHARDING_REQUIRED = 4011

#: GUILD_CREATEs queued before waiting for the socket to take them (bounds memory).
_IDENTIFY_BATCH = 50
#: How long a dispatch waits for its frames to be written (never forever).
_FLUSH_TIMEOUT = 10.0


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

    # --- websocket handler ----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(query=dict(request.query), opened_at=time.monotonic())
        conn.ws = ws
        queue: asyncio.Queue[str] = asyncio.Queue()
        conn.queue = queue
        writer = asyncio.create_task(self._writer(conn), name="discord-double-ws-writer")
        self.connections.append(conn)
        session: GatewaySession | None = None
        try:
            interval = self.double.heartbeat_interval_ms
            self._send(conn, {"op": OP_HELLO, "d": {"heartbeat_interval": interval}})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue  # discord.py only ever sends text frames
                frame = json.loads(msg.data)
                self.received.append((time.monotonic(), frame))
                op, data = frame.get("op"), frame.get("d")
                if op == OP_HEARTBEAT:
                    self._send(conn, {"op": OP_HEARTBEAT_ACK, "d": None})
                elif op == OP_IDENTIFY:
                    conn.kind = "identify"
                    session = await self._identify(conn, data)
                elif op == OP_RESUME:
                    conn.kind = "resume"
                    session = await self._resume(conn, data)
                elif op == OP_REQUEST_GUILD_MEMBERS:
                    self._members_chunk(session, data)
                elif op == OP_PRESENCE_UPDATE:
                    pass  # recorded in `received`; nothing to answer
                else:
                    await ws.close(code=CLOSE_UNKNOWN_OPCODE, message=b"Unknown opcode")
                conn.session_id = session.session_id if session else None
        finally:
            if session is not None and session.conn is conn:
                session.conn = None
            conn.closed_at = time.monotonic()
            conn.close_code = ws.close_code
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            while not queue.empty():  # unsent frames stay in the backlog; free any flusher
                queue.get_nowait()
                queue.task_done()
            self.double._notify()
        return ws

    async def _writer(self, conn: GatewayConnection) -> None:
        """Send the connection's queue in order; frames that cannot go stay in the backlog."""
        ws, queue = conn.ws, conn.queue
        assert ws is not None and queue is not None
        while True:
            text = await queue.get()
            try:
                if not ws.closed:
                    with contextlib.suppress(OSError, RuntimeError):  # a socket going away
                        await ws.send_str(text)
            finally:
                queue.task_done()

    async def _identify(
        self, conn: GatewayConnection, data: dict[str, Any]
    ) -> GatewaySession | None:
        double = self.double
        ws = conn.ws
        assert ws is not None
        if data.get("token") != double.token:
            # discord.py treats 4004 as fatal (ConnectionClosed), like a revoked token.
            await ws.close(code=CLOSE_AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return None
        try:
            shard = _parse_shard(data.get("shard"))
        except ValueError:
            await ws.close(code=CLOSE_INVALID_SHARD, message=b"Invalid shard.")
            return None
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            intents=int(data["intents"]),
            shard=shard,
            large_threshold=int(data.get("large_threshold") or 50),
        )
        guilds = [g for g in double.bot_guilds() if session.owns(g.id)]
        limit = double.max_guilds_per_shard
        if limit is not None and len(guilds) > limit:
            await ws.close(code=CLOSE_SHARDING_REQUIRED, message=b"Sharding required.")
            return None
        self.sessions[session.session_id] = session
        session.conn, conn.session_id, conn.shard = conn, session.session_id, session.shard
        ready = {
            "v": 10,
            "user": double.bot.to_payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
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
        if shard is not None:
            ready["shard"] = list(shard)  # AutoShardedClient reads READY["shard"][0]
        self.emit(session, "READY", ready, EVERY_SHARD)
        if session.intents & INTENT_GUILDS:
            for n, guild in enumerate(guilds, 1):
                payload = double.guild_create_payload(guild, session.large_threshold)
                self.emit(session, "GUILD_CREATE", payload, guild.id)
                if n % _IDENTIFY_BATCH == 0:
                    await self.flush([conn])  # never 2,500 guilds' JSON queued at once
        await self.flush([conn])
        conn.ready = True
        self._bump_epoch()
        return session

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> GatewaySession | None:
        session = self.sessions.get(data.get("session_id", ""))
        last_seen = int(data.get("seq") or 0)
        if (
            session is None
            or data.get("token") != self.double.token
            or not session.can_replay_after(last_seen)
        ):
            # Not resumable: the client must IDENTIFY again (discord.py does so on d=false).
            self._send(conn, {"op": OP_INVALID_SESSION, "d": False})
            return None
        old = session.conn
        session.conn, conn.session_id, conn.shard = conn, session.session_id, session.shard
        if old is not None and old is not conn and old.ws is not None and not old.ws.closed:
            await old.ws.close(code=4000)
        for entry in list(session.backlog):
            if entry.seq > last_seen:
                self._deliver(conn, entry.record(replayed=True), entry.text)
        session.resumes += 1
        self.emit(session, "RESUMED", {}, EVERY_SHARD)
        await self.flush([conn])
        conn.ready = True
        self._bump_epoch()
        return session

    def _members_chunk(self, session: GatewaySession | None, data: dict[str, Any]) -> None:
        """Answer REQUEST_GUILD_MEMBERS with every known member in one chunk."""
        if session is None:
            return
        guild_ids = data.get("guild_id")
        for gid in guild_ids if isinstance(guild_ids, list) else [guild_ids]:
            guild = self.double.guilds.get(int(gid))
            if guild is None:
                continue
            users = self.double.users
            chunk = {
                "guild_id": str(guild.id),
                "members": [m.to_payload(users[m.user_id]) for m in guild.members.values()],
                "chunk_index": 0,
                "chunk_count": 1,
                "nonce": data.get("nonce"),
            }
            self.emit(session, "GUILD_MEMBERS_CHUNK", chunk, guild.id)

    # --- sending --------------------------------------------------------------------------

    @staticmethod
    def _send(conn: GatewayConnection, frame: dict[str, Any]) -> None:
        """Queue a non-dispatch frame (HELLO, ACK, INVALID_SESSION...) on one connection."""
        frame.setdefault("s", None)
        frame.setdefault("t", None)
        if conn.queue is not None:
            conn.queue.put_nowait(json.dumps(frame))

    @staticmethod
    def _deliver(conn: GatewayConnection, record: DispatchRecord, text: str) -> None:
        if conn.queue is not None and conn.ws is not None and not conn.ws.closed:
            conn.queue.put_nowait(text)
            conn.events.append(record)

    def emit(
        self, session: GatewaySession, event: str, data: dict[str, Any], guild_id: int | None
    ) -> None:
        """Sequence a dispatch into the session and queue it if its socket is up."""
        session.seq += 1
        text = json.dumps({"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data})
        entry = session.remember(event, guild_id, data.get("id"), text)
        if session.conn is not None:
            self._deliver(session.conn, entry.record(), text)

    def dispatch_nowait(
        self,
        event: str,
        data: dict[str, Any],
        *,
        intent: int = 0,
        content_gated: bool = False,
        guild_id: int | None = FROM_PAYLOAD,
    ) -> list[GatewaySession]:
        """Sequence a dispatch into every session whose intents cover ``intent`` and whose
        shard owns the guild (``guild_id``, by default read from ``data["guild_id"]``; None =
        a DM, shard 0; :data:`EVERY_SHARD` = all).

        ``content_gated`` marks a message whose content is privileged: a session without the
        MESSAGE_CONTENT intent gets it with content, embeds, attachments and components empty,
        as Discord does. Returns the sessions it was sequenced into.
        """
        gid = guild_of(data) if guild_id == FROM_PAYLOAD else guild_id
        reached = []
        for session in list(self.sessions.values()):
            if intent and not session.intents & intent:
                continue
            if not session.owns(gid):
                continue
            payload = data
            if content_gated and not session.intents & INTENT_MESSAGE_CONTENT:
                payload = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
            self.emit(session, event, payload, gid)
            reached.append(session)
        return reached

    async def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        intent: int = 0,
        content_gated: bool = False,
        guild_id: int | None = FROM_PAYLOAD,
    ) -> int:
        """:meth:`dispatch_nowait`, then wait (bounded) until the frames are written.
        Returns the number of sessions reached."""
        sessions = self.dispatch_nowait(
            event, data, intent=intent, content_gated=content_gated, guild_id=guild_id
        )
        await self.flush(s.conn for s in sessions if s.conn is not None)
        return len(sessions)

    @staticmethod
    async def flush(conns: Iterable[GatewayConnection], timeout: float = _FLUSH_TIMEOUT) -> None:
        """Wait until the connections' queues are written (or ``timeout``: never forever)."""
        queues = [c.queue for c in conns if c.queue is not None and c.queue.qsize()]
        if queues:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    for queue in queues:
                        await queue.join()

    # --- inspection -----------------------------------------------------------------------

    def dispatched(
        self, event: str | None = None, *, shard_id: int | None = None
    ) -> list[DispatchRecord]:
        """Dispatches actually queued to a socket (replays included), optionally only of
        ``event`` and only on connections of shard ``shard_id`` (unsharded counts as 0)."""
        return [
            rec
            for conn in self.connections
            if shard_id is None or conn.shard_id == shard_id
            for rec in conn.events
            if event is None or rec.event == event
        ]

    def live_connections(self, shard_id: int | None = None) -> list[GatewayConnection]:
        """Open connections whose session is live (READY/RESUMED sent)."""
        return [
            c
            for c in self.connections
            if c.ready
            and c.closed_at is None
            and c.ws is not None
            and not c.ws.closed
            and (shard_id is None or c.shard_id == shard_id)
        ]

    def live_shards(self) -> set[int]:
        return {c.shard_id for c in self.live_connections()}

    # --- test controls --------------------------------------------------------------------

    def _open(self, shard_id: int | None) -> list[web.WebSocketResponse]:
        return [
            c.ws
            for c in self.connections
            if c.ws is not None and not c.ws.closed and (shard_id is None or c.shard_id == shard_id)
        ]

    async def drop(self, code: int = 4000, *, shard_id: int | None = None) -> int:
        """Close open gateway sockets (of one shard, or all) with ``code`` (4000 = resumable).
        Returns the count."""
        sockets = self._open(shard_id)
        for ws in sockets:
            await ws.close(code=code, message=b"dropped by the test double")
        return len(sockets)

    async def send_op(self, op: int, data: Any = None, *, shard_id: int | None = None) -> None:
        """Send a raw opcode (e.g. RECONNECT, INVALID_SESSION) to open sockets."""
        conns = [
            c
            for c in self.connections
            if c.ws is not None and not c.ws.closed and (shard_id is None or c.shard_id == shard_id)
        ]
        for conn in conns:
            self._send(conn, {"op": op, "d": data})
        await self.flush(conns)

    async def invalidate(self, resumable: bool = False, *, shard_id: int | None = None) -> None:
        """INVALID_SESSION: with ``resumable=False`` the sessions are forgotten too."""
        await self.send_op(OP_INVALID_SESSION, resumable, shard_id=shard_id)
        if not resumable:
            for sid, session in list(self.sessions.items()):
                if shard_id is None or session.shard_id == shard_id:
                    del self.sessions[sid]

    async def close_all(self) -> None:
        for ws in self._open(None):
            await ws.close(code=1001, message=b"double shutting down")

    def _bump_epoch(self) -> None:
        self.epoch += 1
        self.double._notify()


def _parse_shard(raw: Any) -> tuple[int, int] | None:
    """IDENTIFY's ``shard`` as ``(i, n)``, None if absent; ValueError if invalid."""
    if raw is None:
        return None
    try:
        index, count = (int(x) for x in raw)
    except TypeError:
        raise ValueError(raw) from None
    if not (count >= 1 and 0 <= index < count):
        raise ValueError(raw)
    return index, count
