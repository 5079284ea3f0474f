"""Bearer-token auth for ``/api/v1``: who is calling, and may they write.

Tokens come from API_TOKENS (``name:token`` read and write, ``name:token:ro`` read-only; see
:func:`boss_bot.core.settings.parse_api_tokens`). A presented token is compared with **every**
configured token using :func:`hmac.compare_digest` over SHA-256 digests, so neither the
position of the first differing byte nor the token's length nor which entry matched shows in
the response time. No token, an unknown token, or no API_TOKENS at all → 401 with
``WWW-Authenticate: Bearer``; a read-only token on a write call → 403.

An API client has no Discord user id, but jobs, quotas and "who cancelled" are keyed by one,
so each client gets a stable **negative** id derived from its name (:func:`api_user_id`):
never a Discord id (those are positive), the same across restarts, and per-user queue limits
and rate limits apply per client.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from boss_bot.core.settings import ApiClient
from boss_bot.http.errors import ApiError

_bearer = HTTPBearer(
    auto_error=False,
    description="A token from API_TOKENS (`name:token`, or `name:token:ro` for read-only).",
)


def api_user_id(name: str) -> int:
    """The stable negative user id jobs of API client ``name`` are recorded under."""
    digest = hashlib.sha256(f"boss-bot api client:{name}".encode()).digest()
    return -(int.from_bytes(digest[:6], "big") + 1)


@dataclass(frozen=True)
class Caller:
    """The authenticated API client."""

    name: str
    read_only: bool

    @property
    def user_id(self) -> int:
        return api_user_id(self.name)


class TokenBook:
    """The configured tokens as digests (the plain tokens are not kept here)."""

    def __init__(self, clients: list[ApiClient]) -> None:
        self._entries = [
            (hashlib.sha256(c.token.encode()).digest(), Caller(c.name, c.read_only))
            for c in clients
        ]

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, presented: str) -> Caller | None:
        digest = hashlib.sha256(presented.encode("utf-8", "replace")).digest()
        found: Caller | None = None
        for known, caller in self._entries:  # no early exit: every entry costs the same
            if hmac.compare_digest(digest, known):
                found = caller
        return found


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


async def require_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Any valid token (read-only or not)."""
    book: TokenBook = request.app.state.tokens
    if not len(book):
        raise _unauthorized("The API is disabled: no API_TOKENS are configured.")
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("Missing Bearer token (Authorization: Bearer <token>).")
    caller = book.match(credentials.credentials)
    if caller is None:
        raise _unauthorized("Invalid token.")
    request.state.caller = caller
    return caller


async def require_writer(caller: Annotated[Caller, Depends(require_caller)]) -> Caller:
    """A token that may change things (not ``:ro``)."""
    if caller.read_only:
        raise ApiError(403, "forbidden", f"The token of {caller.name!r} is read-only.")
    return caller


CallerDep = Annotated[Caller, Depends(require_caller)]
WriterDep = Annotated[Caller, Depends(require_writer)]
