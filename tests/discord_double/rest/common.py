"""Shared pieces of the REST half: Discord-shaped errors and responses, small parsers."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

API_PREFIX = "/api/v10"
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


def missing_access() -> ApiError:
    """What Discord answers for a channel or guild the bot cannot see at all."""
    return ApiError(403, 50001, "Missing Access")


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


async def drain(request: web.Request) -> None:
    """Read whatever is left of the request body, so the client gets our status code."""
    if request.body_exists and not request.content.at_eof():
        async for _ in request.content.iter_chunked(_CHUNK):
            pass


def snowflake(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ApiError(404, 0, f"404: Not Found ({value!r} is not a snowflake)") from None


async def json_body(request: web.Request) -> Any:
    raw = await request.read()
    return parse_json(raw.decode()) if raw else {}


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None


def normalise_reference(ref: Any) -> dict[str, Any] | None:
    """``message_reference`` with ids as ints (discord.py sends ints, Discord accepts both)."""
    if not isinstance(ref, dict):
        return None
    ids = ("message_id", "channel_id", "guild_id")
    return {k: int(v) if k in ids and v is not None else v for k, v in ref.items()}


def ratelimit_headers(route: str) -> dict[str, str]:
    """Generous, well-formed rate-limit headers: discord.py tracks buckets but never waits."""
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": hashlib.sha1(route.encode()).hexdigest()[:16],
    }


def is_webhook_path(path: str) -> bool:
    """Interaction callbacks and follow-ups: discord.py's webhook adapter serves these, and
    it retries *every* 5xx five times (1 s, 3 s, 5 s, 7 s, 9 s)."""
    sub = path.removeprefix(API_PREFIX)
    return sub.startswith(("/interactions/", "/webhooks/"))
