"""The REST plumbing: middleware (logging, faults, latency, auth, errors) and lookups.

Discord-shaped errors are raised as :class:`ApiError` and rendered by the middleware, which
also logs every request, applies injected faults, adds rate-limit headers and guarantees the
request body is fully read before answering (answering early makes the client see a reset
connection instead of the status code, which is not what Discord does).
"""

from __future__ import annotations

import asyncio
import fnmatch
import math
import time
from typing import TYPE_CHECKING

from aiohttp import web

from ..constants import SEND_MESSAGES, SEND_MESSAGES_IN_THREADS, VIEW_CHANNEL
from ..models import Channel
from ..records import Fault, Interaction, Latency, RequestRecord, StoredMessage
from .common import (
    API_PREFIX,
    ApiError,
    Handler,
    drain,
    is_webhook_path,
    json_response,
    missing_access,
    missing_permissions,
    ratelimit_headers,
    snowflake,
)

if TYPE_CHECKING:
    from ..server import DiscordDouble


class RestBase:
    """Middleware and lookups. State lives on the :class:`DiscordDouble`."""

    def __init__(self, double: DiscordDouble) -> None:
        self.double = double

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
        code: int | None = None
        try:
            if fault is not None:
                response: web.StreamResponse = self._fault_response(fault)
            else:
                self._check_auth(request)
                response = await handler(request)
        except ApiError as err:
            code = err.code
            response = err.response()
        except web.HTTPException as exc:  # aiohttp's own (e.g. a malformed request)
            response = json_response({"code": 0, "message": exc.text}, exc.status)
        except Exception as exc:
            # A bug in the double. 503 is a 5xx discord.py's HTTP client does *not* retry, so
            # the test fails at once instead of sleeping through five retries of a 500. Its
            # webhook adapter retries every 5xx, so interaction routes get a 400 instead.
            double.internal_errors.append(exc)
            message = f"Discord double internal error: {exc!r}"
            status = 400 if is_webhook_path(request.path) else 503
            response = json_response({"code": 0, "message": message}, status)
        if not isinstance(response, web.WebSocketResponse):
            await drain(request)
            if request.path.startswith(API_PREFIX) and double.send_ratelimit_headers:
                for key, value in ratelimit_headers(route or request.path).items():
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
                code=code,
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
        if sub == "/gateway" or is_webhook_path(path):
            return  # Discord authenticates these by the token in the URL
        if request.headers.get("Authorization") != f"Bot {self.double.token}":
            raise ApiError(401, 0, "401: Unauthorized")

    # --- lookups --------------------------------------------------------------------------

    def _channel(self, request: web.Request) -> Channel:
        """The URL's channel, if the bot can reach it (403 / 50001 for a guild it is not in
        or someone else's DM)."""
        channel = self.double.channels.get(snowflake(request.match_info["channel_id"]))
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        if not self.double.bot_can_see(channel):
            raise missing_access()
        return channel

    def _message(self, channel: Channel, message_id: str) -> StoredMessage:
        """A live, non-ephemeral message of the channel (ephemeral ones only exist for
        their user and the interaction's webhook)."""
        msg = self.double._messages.get(snowflake(message_id))
        if msg is None or msg.deleted or msg.channel_id != channel.id or msg.ephemeral_to:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    def _interaction(self, app_id: str, token: str) -> Interaction:
        """The interaction behind a webhook URL; 401 / 50027 once its token expired."""
        if snowflake(app_id) != self.double.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        interaction = self.double.interactions.get(self.double._interaction_by_token.get(token, 0))
        if interaction is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        if interaction.expired:
            interaction.expired_calls += 1
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return interaction

    def _require_permissions(self, channel: Channel, needed: int) -> None:
        """403 unless the bot has ``needed`` in the (guild) channel: 50001 if it cannot even
        view it, else 50013. Nothing is checked in DMs."""
        if channel.guild_id is None:
            return
        perms = self.double.permissions_in(channel, self.double.bot.id)
        if needed & VIEW_CHANNEL and not perms & VIEW_CHANNEL:
            raise missing_access()
        if perms & needed != needed:
            raise missing_permissions()

    @staticmethod
    def _send_permission(channel: Channel) -> int:
        return SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES
