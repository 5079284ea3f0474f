"""The REST half of the double: aiohttp handlers for the Discord HTTP API routes a bot uses.

Discord-shaped errors are raised as :class:`ApiError` and rendered by the middleware, which
also logs every request, applies injected faults, adds rate-limit headers and guarantees the
request body is fully read before answering (answering early makes the client see a reset
connection instead of the status code, which is not what Discord does).
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import json
import math
import mimetypes
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from .models import (
    ATTACH_FILES,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    MANAGE_MESSAGES,
    MAX_ATTACHMENTS,
    MAX_CONTENT_LENGTH,
    MAX_EMBEDS,
    MESSAGE_CHAT_INPUT_COMMAND,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Channel,
    Fault,
    Interaction,
    Latency,
    RequestRecord,
    StoredAttachment,
    StoredMessage,
    UnknownRoute,
)

if TYPE_CHECKING:
    from .server import DiscordDouble

API_PREFIX = "/api/v10"
_FILES_FIELD = re.compile(r"files\[(\d+)\]")
_CHUNK = 1 << 20

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """JSON with Content-Type *exactly* ``application/json``.

    discord.py's ``json_or_text`` compares the header with ``==``; ``web.json_response``
    appends ``; charset=utf-8`` and discord.py would then hand the bot a *string*.
    """
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class ApiError(Exception):
    """A Discord API error: rendered as ``{"code": ..., "message": ...[, "errors": ...]}``."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message = status, code, message
        self.errors, self.headers = errors, headers or {}

    def response(self) -> web.Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return json_response(body, self.status, self.headers)


def invalid_form(field: str, code: str, message: str) -> ApiError:
    """Discord's 400 / 50035 "Invalid Form Body" with one field error."""
    errors = {field: {"_errors": [{"code": code, "message": message}]}}
    return ApiError(400, 50035, "Invalid Form Body", errors)


@dataclass
class Upload:
    """One ``files[n]`` part, already streamed to disk (or discarded if over the limit)."""

    index: int
    filename: str
    declared_content_type: str | None
    path: Path
    size: int
    sha256: str
    too_large: bool


@dataclass
class MessageBody:
    payload: dict[str, Any]
    uploads: list[Upload]

    def discard(self) -> None:
        for up in self.uploads:
            up.path.unlink(missing_ok=True)


async def drain(request: web.Request) -> None:
    """Read whatever is left of the request body, so the client gets our status code."""
    if request.body_exists and not request.content.at_eof():
        async for _ in request.content.iter_chunked(_CHUNK):
            pass


class RestApi:
    """Route table and handlers. State lives on the :class:`DiscordDouble`."""

    def __init__(self, double: DiscordDouble) -> None:
        self.double = double

    def add_routes(self, app: web.Application) -> None:
        p = API_PREFIX
        r = app.router
        r.add_get(f"{p}/users/@me", self.get_me)
        r.add_post(f"{p}/users/@me/channels", self.create_dm)
        r.add_get(f"{p}/users/{{user_id}}", self.get_user)
        r.add_get(f"{p}/oauth2/applications/@me", self.get_application)
        r.add_get(f"{p}/gateway", self.get_gateway)
        r.add_get(f"{p}/gateway/bot", self.get_gateway_bot)
        r.add_get(f"{p}/guilds/{{guild_id}}", self.get_guild)
        r.add_get(f"{p}/guilds/{{guild_id}}/members/{{user_id}}", self.get_member)
        r.add_get(f"{p}/channels/{{channel_id}}", self.get_channel)
        r.add_post(f"{p}/channels/{{channel_id}}/typing", self.typing)
        r.add_get(f"{p}/channels/{{channel_id}}/messages", self.list_messages)
        r.add_post(f"{p}/channels/{{channel_id}}/messages", self.create_message)
        msg = f"{p}/channels/{{channel_id}}/messages/{{message_id}}"
        r.add_get(msg, self.get_message)
        r.add_patch(msg, self.edit_message)
        r.add_delete(msg, self.delete_message)
        r.add_put(f"{msg}/reactions/{{emoji}}/@me", self.add_reaction)
        cmds = f"{p}/applications/{{app_id}}"
        r.add_get(f"{cmds}/commands", self.get_commands)
        r.add_put(f"{cmds}/commands", self.put_commands)
        r.add_get(f"{cmds}/guilds/{{guild_id}}/commands", self.get_commands)
        r.add_put(f"{cmds}/guilds/{{guild_id}}/commands", self.put_commands)
        r.add_post(f"{p}/interactions/{{interaction_id}}/{{token}}/callback", self.callback)
        hook = f"{p}/webhooks/{{app_id}}/{{token}}"
        r.add_post(hook, self.followup)
        r.add_get(f"{hook}/messages/{{message_id}}", self.get_webhook_message)
        r.add_patch(f"{hook}/messages/{{message_id}}", self.edit_webhook_message)
        r.add_delete(f"{hook}/messages/{{message_id}}", self.delete_webhook_message)
        r.add_get("/attachments/{channel_id}/{message_id}/{filename}", self.get_attachment)

    # --- middleware -----------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        double = self.double
        started = time.monotonic()
        info = request.match_info
        route = info.route.resource.canonical if info.route.resource is not None else None
        fault = self._take_fault(request)
        if (latency := self._take_latency(request)) is not None:
            await asyncio.sleep(latency.seconds)
        try:
            if fault is not None:
                response: web.StreamResponse = self._fault_response(fault)
            else:
                self._check_auth(request)
                response = await handler(request)
        except ApiError as err:
            response = err.response()
        except web.HTTPException as exc:  # aiohttp's own (e.g. a malformed request)
            response = json_response({"code": 0, "message": exc.text}, exc.status)
        except Exception as exc:
            # A bug in the double. 503 is a 5xx discord.py does *not* retry, so the test fails
            # at once instead of sleeping through five retries of a 500.
            double.internal_errors.append(exc)
            message = f"Discord double internal error: {exc!r}"
            response = json_response({"code": 0, "message": message}, 503)
        if not isinstance(response, web.WebSocketResponse):
            await drain(request)
            if request.path.startswith(API_PREFIX) and double.send_ratelimit_headers:
                for key, value in _ratelimit_headers(route or request.path).items():
                    response.headers.setdefault(key, value)
        double.requests.append(
            RequestRecord(
                method=request.method,
                path=request.path,
                query=request.query_string,
                status=response.status,
                at=started,
                duration=time.monotonic() - started,
                route=route,
                fault=f"{fault.status}" if fault is not None else None,
            )
        )
        double._notify()
        return response

    def _take_latency(self, request: web.Request) -> Latency | None:
        sub = request.path.removeprefix(API_PREFIX)
        for latency in self.double.latencies:
            if latency.remaining <= 0 or latency.method not in ("*", request.method):
                continue
            if latency.uploads_only and not request.content_type.startswith("multipart/"):
                continue
            if fnmatch.fnmatchcase(sub, latency.path_glob):
                latency.remaining -= 1
                latency.hits += 1
                return latency
        return None

    def _take_fault(self, request: web.Request) -> Fault | None:
        sub = request.path.removeprefix(API_PREFIX)
        for fault in self.double.faults:
            if fault.remaining <= 0 or fault.method not in ("*", request.method):
                continue
            if fnmatch.fnmatchcase(sub, fault.path_glob):
                fault.remaining -= 1
                fault.hits += 1
                return fault
        return None

    @staticmethod
    def _fault_response(fault: Fault) -> web.Response:
        if fault.status == 429:
            body = fault.body or {
                "message": "You are being rate limited.",
                "retry_after": fault.retry_after,
                "global": fault.is_global,
            }
            # discord.py only honours a 429 that carries a `Via` header; without it the 429 is
            # taken for a Cloudflare ban and raised as HTTPException instead of retried.
            headers = {
                "Retry-After": str(max(1, math.ceil(fault.retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
                "Via": "1.1 google",
                "X-RateLimit-Scope": "global" if fault.is_global else "user",
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            return json_response(body, 429, headers)
        body = fault.body or {"code": 0, "message": f"{fault.status}: injected fault"}
        return json_response(body, fault.status)

    def _check_auth(self, request: web.Request) -> None:
        path = request.path
        if not path.startswith(API_PREFIX):
            return  # CDN (attachments) and the gateway need no token
        sub = path.removeprefix(API_PREFIX)
        if sub == "/gateway" or sub.startswith(("/interactions/", "/webhooks/")):
            return  # Discord authenticates these by the token in the URL
        if request.headers.get("Authorization") != f"Bot {self.double.token}":
            raise ApiError(401, 0, "401: Unauthorized")

    # --- lookups --------------------------------------------------------------------------

    def _channel(self, request: web.Request) -> Channel:
        channel = self.double.channels.get(_snowflake(request.match_info["channel_id"]))
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def _message(self, channel: Channel, message_id: str) -> StoredMessage:
        msg = self.double._messages.get(_snowflake(message_id))
        if msg is None or msg.deleted or msg.channel_id != channel.id:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    def _interaction(self, app_id: str, token: str) -> Interaction:
        if _snowflake(app_id) != self.double.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        for interaction in self.double.interactions.values():
            if interaction.token == token:
                return interaction
        raise ApiError(404, 10015, "Unknown Webhook")

    def _require_permissions(self, channel: Channel, needed: int) -> None:
        if channel.guild_id is None:
            return
        perms = self.double.guilds[channel.guild_id].permissions_of(self.double.bot.id)
        if perms & needed != needed:
            raise ApiError(403, 50013, "Missing Permissions")

    # --- body parsing and validation ------------------------------------------------------

    async def _read_body(self, request: web.Request, file_limit: int) -> MessageBody:
        """Parse a JSON or multipart body; stream ``files[n]`` parts to disk.

        Over-limit files are read to the end (and discarded) before the 413, like Discord
        reading the whole upload before judging it.
        """
        if request.content_type != "multipart/form-data":
            return MessageBody(await _json_body(request), [])
        body = MessageBody({}, [])
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue  # nested multipart: Discord does not accept it either
            name = part.name or ""
            if name == "payload_json":
                body.payload = _parse_json(await part.text())
            elif part.filename is not None or _FILES_FIELD.fullmatch(name):
                match = _FILES_FIELD.fullmatch(name)
                index = int(match.group(1)) if match else len(body.uploads)
                body.uploads.append(await self._stream_upload(part, index, file_limit))
            else:
                body.payload[name] = await part.text()  # plain form fields, e.g. "content"
        return body

    async def _stream_upload(self, part: BodyPartReader, index: int, limit: int) -> Upload:
        dest = self.double.storage_dir / f"upload-{uuid.uuid4().hex}"
        digest = hashlib.sha256()
        size = 0
        # Blocking writes are fine here: <=1 MiB chunks to local disk, faster than a thread hop.
        with dest.open("wb") as fh:
            while chunk := await part.read_chunk(_CHUNK):
                size += len(chunk)
                if size <= limit:
                    fh.write(chunk)
                    digest.update(chunk)
        too_large = size > limit
        if too_large:
            dest.unlink()
        return Upload(
            index=index,
            filename=part.filename or f"file{index}",
            declared_content_type=part.headers.get("Content-Type"),
            path=dest,
            size=size,
            sha256=digest.hexdigest(),
            too_large=too_large,
        )

    def _validate(self, payload: dict[str, Any], attachment_count: int) -> None:
        content = payload.get("content")
        if content is not None and len(str(content)) > MAX_CONTENT_LENGTH:
            raise invalid_form(
                "content",
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_CONTENT_LENGTH} or fewer in length.",
            )
        if len(payload.get("embeds") or []) > MAX_EMBEDS:
            raise invalid_form(
                "embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length."
            )
        if attachment_count > MAX_ATTACHMENTS:
            raise invalid_form(
                "attachments",
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_ATTACHMENTS} or fewer in length.",
            )

    async def _message_body(self, request: web.Request, channel: Channel) -> MessageBody:
        """Read + check a message body against the channel's limits (413 / 400 like Discord)."""
        body = await self._read_body(request, self.double.file_limit_for(channel.id))
        if any(up.too_large for up in body.uploads):
            body.discard()
            raise ApiError(413, 40005, "Request entity too large")
        return body

    def _attachments_from(
        self, body: MessageBody, channel_id: int, message_id: int
    ) -> list[StoredAttachment]:
        meta = {
            str(entry.get("id")): entry
            for entry in body.payload.get("attachments") or []
            if isinstance(entry, dict)
        }
        stored = []
        for up in body.uploads:
            entry = meta.get(str(up.index), {})
            filename = entry.get("filename") or up.filename
            stored.append(
                StoredAttachment(
                    id=self.double.snowflake(),
                    filename=filename,
                    size=up.size,
                    content_type=mimetypes.guess_type(filename)[0]
                    or up.declared_content_type
                    or "application/octet-stream",
                    declared_content_type=up.declared_content_type,
                    path=up.path,
                    sha256=up.sha256,
                    url=self.double.attachment_url(channel_id, message_id, filename),
                    description=entry.get("description"),
                )
            )
        return stored

    async def _create(
        self,
        request: web.Request,
        channel: Channel,
        *,
        body: MessageBody | None = None,
        payload: dict[str, Any] | None = None,
        allow_empty: bool = False,
        **extra: Any,
    ) -> StoredMessage:
        """Validate and store a message from the bot (channel post, interaction, followup)."""
        body = body or await self._message_body(request, channel)
        payload = body.payload if payload is None else payload
        try:
            self._validate(payload, len(body.uploads))
            content = str(payload.get("content") or "")
            has_components = bool(payload.get("components"))
            has_anything = content or body.uploads or payload.get("embeds") or has_components
            if not (has_anything or allow_empty):
                raise ApiError(400, 50006, "Cannot send an empty message")
        except ApiError:
            body.discard()
            raise
        # enforce_nonce: a retried POST with the same nonce returns the first message.
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce"):
            for existing in self.double.messages(channel.id):
                if existing.nonce == str(nonce) and existing.author_id == self.double.bot.id:
                    body.discard()
                    return existing
        message_id = self.double.snowflake()
        ref = payload.get("message_reference")
        msg = StoredMessage(
            id=message_id,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=self.double.bot.id,
            content=content,
            created_at=time.time(),
            created_monotonic=time.monotonic(),
            attachments=self._attachments_from(body, channel.id, message_id),
            embeds=list(payload.get("embeds") or []),
            components=list(payload.get("components") or []),
            flags=int(payload.get("flags") or 0),
            nonce=str(nonce) if nonce is not None else None,
            reference=_normalise_reference(ref),
            payload=payload,
            **extra,
        )
        await self.double._store_message(msg)
        return msg

    async def _edit(
        self,
        request: web.Request,
        msg: StoredMessage,
        *,
        payload: dict[str, Any] | None = None,
        body: MessageBody | None = None,
    ) -> StoredMessage:
        """Apply a PATCH. ``attachments`` in the payload lists what remains (API v10 rule)."""
        channel = self.double.channels[msg.channel_id]
        body = body or await self._message_body(request, channel)
        payload = body.payload if payload is None else payload
        new = self._attachments_from(body, msg.channel_id, msg.id)
        if "attachments" in payload:
            keep_ids = {str(a.get("id")) for a in payload["attachments"] or []}
            kept = [a for a in msg.attachments if str(a.id) in keep_ids]
        else:
            kept = list(msg.attachments)
        try:
            self._validate(payload, len(kept) + len(new))
        except ApiError:
            body.discard()
            raise
        if "content" in payload:
            msg.content = str(payload["content"] or "")
        if "embeds" in payload:
            msg.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            msg.components = list(payload["components"] or [])
        if "flags" in payload and payload["flags"] is not None:
            msg.flags = int(payload["flags"]) | (msg.flags & FLAG_EPHEMERAL)
        msg.flags &= ~FLAG_LOADING  # an edit ends the "thinking..." state
        msg.attachments = kept + new
        await self.double._record_edit(msg, payload)
        return msg

    # --- users, application, gateway ------------------------------------------------------

    async def get_me(self, request: web.Request) -> web.Response:
        data = self.double.bot.to_payload()
        data.update({"verified": True, "mfa_enabled": False, "flags": 0, "email": None})
        return json_response(data)

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.double.users.get(_snowflake(request.match_info["user_id"]))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return json_response(user.to_payload())

    async def create_dm(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        user_id = _snowflake(str(data.get("recipient_id")))
        if user_id not in self.double.users:
            raise ApiError(404, 10013, "Unknown User")
        return json_response(self.double.channel_payload(self.double.dm_channel(user_id)))

    async def get_application(self, request: web.Request) -> web.Response:
        return json_response(self.double.application_payload())

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.double.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        # AutoShardedClient connects to *this* url, not DEFAULT_GATEWAY.
        return json_response(
            {
                "url": self.double.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    # --- guilds and channels --------------------------------------------------------------

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self.double.guilds.get(_snowflake(request.match_info["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        data = self.double.guild_create_payload(guild)
        for key in ("channels", "members", "threads", "presences", "voice_states"):
            data.pop(key, None)  # GET /guilds/{id} has none of the gateway-only lists
        return json_response(data)

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self.double.guilds.get(_snowflake(request.match_info["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        member = guild.members.get(_snowflake(request.match_info["user_id"]))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return json_response(member.to_payload(self.double.users[member.user_id]))

    async def get_channel(self, request: web.Request) -> web.Response:
        return json_response(self.double.channel_payload(self._channel(request)))

    async def typing(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self.double.typing.append((channel.id, time.monotonic()))
        return web.Response(status=204)

    # --- messages -------------------------------------------------------------------------

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require_permissions(channel, VIEW_CHANNEL)
        q = request.query
        limit = min(int(q.get("limit", 50)), 100)
        msgs = self.double.messages(channel.id)
        if "before" in q:
            msgs = [m for m in msgs if m.id < _snowflake(q["before"])]
        if "after" in q:
            msgs = [m for m in msgs if m.id > _snowflake(q["after"])]
            msgs = msgs[:limit]  # oldest first past `after`, returned newest first
        else:
            msgs = msgs[-limit:]
        return json_response([self.double.message_payload(m) for m in reversed(msgs)])

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require_permissions(channel, VIEW_CHANNEL | SEND_MESSAGES)
        body = await self._message_body(request, channel)
        if body.uploads and channel.guild_id is not None:
            try:
                self._require_permissions(channel, ATTACH_FILES)
            except ApiError:
                body.discard()
                raise
        msg = await self._create(request, channel, body=body)
        return json_response(self.double.message_payload(msg))

    async def get_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        return json_response(self.double.message_payload(msg))

    async def edit_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        if msg.author_id != self.double.bot.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        msg = await self._edit(request, msg)
        return json_response(self.double.message_payload(msg))

    async def delete_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        if msg.author_id != self.double.bot.id and channel.guild_id is not None:
            self._require_permissions(channel, MANAGE_MESSAGES)
        await self.double._delete_message(msg)
        return web.Response(status=204)

    async def add_reaction(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        msg.reactions.append(request.match_info["emoji"])
        return web.Response(status=204)

    # --- application commands -------------------------------------------------------------

    async def get_commands(self, request: web.Request) -> web.Response:
        guild_id = request.match_info.get("guild_id")
        key = _snowflake(guild_id) if guild_id else None
        return json_response(self.double.commands.get(key, []))

    async def put_commands(self, request: web.Request) -> web.Response:
        """Bulk overwrite (what ``CommandTree.sync`` calls): echo the commands with ids."""
        guild_id = request.match_info.get("guild_id")
        key = _snowflake(guild_id) if guild_id else None
        existing = {c["name"]: c["id"] for c in self.double.commands.get(key, [])}
        commands = []
        for spec in await _json_body(request):
            cmd = {
                "type": 1,
                "description": "",
                "default_member_permissions": None,
                "nsfw": False,
                "options": [],
                **spec,
                "id": existing.get(spec["name"]) or str(self.double.snowflake()),
                "application_id": str(self.double.application_id),
                "version": str(self.double.snowflake()),
            }
            if key is not None:
                cmd["guild_id"] = str(key)
            commands.append(cmd)
        self.double.commands[key] = commands
        return json_response(commands)

    # --- interactions ---------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        interaction = self.double.interactions.get(_snowflake(request.match_info["interaction_id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        channel = self.double.channels[interaction.channel_id]
        body = await self._message_body(request, channel)
        kind = int(body.payload.get("type", 0))
        data = body.payload.get("data") or {}
        msg: StoredMessage | None = None
        extra = {
            "webhook_id": self.double.application_id,
            "interaction_id": interaction.id,
            "type": MESSAGE_CHAT_INPUT_COMMAND,
        }
        if kind == 4:  # CHANNEL_MESSAGE_WITH_SOURCE
            msg = await self._create(request, channel, body=body, payload=data, **extra)
            interaction.original_message_id = msg.id
        elif kind == 5:  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: a "thinking..." placeholder
            flags = int(data.get("flags") or 0) | FLAG_LOADING
            placeholder = {"content": "", "flags": flags}
            msg = await self._create(
                request, channel, body=body, payload=placeholder, allow_empty=True, **extra
            )
            interaction.original_message_id = msg.id
        elif kind in (6, 7) and interaction.message_id is not None:  # component updates
            msg = self.double._messages[interaction.message_id]
            interaction.original_message_id = msg.id
            if kind == 7:
                msg = await self._edit(request, msg, payload=data, body=body)
        else:
            body.discard()
        interaction.callbacks.append(body.payload)  # only an accepted callback acknowledges
        self.double._notify()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        result: dict[str, Any] = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(msg and msg.flags & FLAG_EPHEMERAL),
            },
            "resource": {"type": kind},
        }
        if msg is not None:
            result["interaction"]["response_message_id"] = str(msg.id)
            result["resource"]["message"] = self.double.message_payload(msg)
        return json_response(result)

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request.match_info["app_id"], request.match_info["token"])
        channel = self.double.channels[interaction.channel_id]
        msg = await self._create(
            request,
            channel,
            webhook_id=self.double.application_id,
            interaction_id=interaction.id,
        )
        interaction.followup_ids.append(msg.id)
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(self.double.message_payload(msg))
        return web.Response(status=204)

    def _webhook_message(self, request: web.Request) -> StoredMessage:
        interaction = self._interaction(request.match_info["app_id"], request.match_info["token"])
        raw = request.match_info["message_id"]
        message_id = interaction.original_message_id if raw == "@original" else _snowflake(raw)
        msg = self.double._messages.get(message_id or 0)
        if msg is None or msg.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        return json_response(self.double.message_payload(self._webhook_message(request)))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        msg = await self._edit(request, self._webhook_message(request))
        return json_response(self.double.message_payload(msg))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        await self.double._delete_message(self._webhook_message(request))
        return web.Response(status=204)

    # --- CDN and the rest -----------------------------------------------------------------

    async def get_attachment(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        msg = self.double._messages.get(_snowflake(info["message_id"]))
        if msg is not None and msg.channel_id == _snowflake(info["channel_id"]):
            for att in msg.attachments:
                if att.filename == info["filename"]:
                    return web.FileResponse(att.path, headers={"Content-Type": att.content_type})
        return web.Response(status=404, text="Not Found")

    async def unknown(self, request: web.Request) -> web.Response:
        """Anything not implemented: 501 and recorded, so gaps in the double fail loudly."""
        self.double.unknown_routes.append(
            UnknownRoute(method=request.method, path=request.path, at=time.monotonic())
        )
        raise ApiError(
            501, 0, f"Discord double: route not implemented: {request.method} {request.path}"
        )


def _snowflake(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ApiError(404, 0, f"404: Not Found ({value!r} is not a snowflake)") from None


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    return _parse_json(raw.decode()) if raw else {}


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None


def _normalise_reference(ref: Any) -> dict[str, Any] | None:
    """``message_reference`` with ids as ints (discord.py sends ints, Discord accepts both)."""
    if not isinstance(ref, dict):
        return None
    ids = ("message_id", "channel_id", "guild_id")
    return {k: int(v) if k in ids and v is not None else v for k, v in ref.items()}


def _ratelimit_headers(route: str) -> dict[str, str]:
    """Generous, well-formed rate-limit headers: discord.py tracks buckets but never waits."""
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": hashlib.sha1(route.encode()).hexdigest()[:16],
    }


__all__ = ["API_PREFIX", "ApiError", "RestApi", "json_response"]
