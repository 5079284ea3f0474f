"""Dashboard sessions: a signed cookie that says which API client signed in, and its CSRF token.

Why a cookie and not the Bearer token: a browser cannot add an ``Authorization`` header to a
link, a form or an ``EventSource``. The token is asked for once (the sign-in page), checked like
an API call (:class:`~boss_bot.http.auth.TokenBook`: constant time, every entry), and never
stored: the cookie holds a *fingerprint* of it, its expiry and a random CSRF token, signed with
HMAC-SHA256.

The signing key is derived from API_TOKENS (all of them), so there is no extra secret to
configure, a session opened on the bot also works on a worker with the same tokens, and
changing the tokens ends every session. Each request also looks the fingerprint up among the
tokens configured now: a token removed from API_TOKENS (or changed to ``:ro``) takes effect at
once, without waiting for the cookie to expire. The cookie is ``HttpOnly``, ``SameSite=Strict``
and ``Secure`` when the request came over https (directly, or through a proxy that says so with
``X-Forwarded-Proto``: a spoofed header only makes the cookie stricter).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from boss_bot.core.settings import ApiClient
from boss_bot.http.auth import Caller

SESSION_COOKIE = "boss_session"
#: A random value shown in the sign-in form and set as a cookie: a sign-in posted from another
#: site carries no SameSite=Strict cookie, so it is refused (no "login CSRF").
SIGNIN_COOKIE = "boss_signin"
SIGNIN_COOKIE_SECONDS = 3600


@dataclass(frozen=True)
class Session:
    """A signed-in dashboard user: the API client's name, whether it may act, its CSRF token."""

    name: str
    read_only: bool
    csrf: str
    expires_at: float

    @property
    def caller(self) -> Caller:
        return Caller(self.name, self.read_only)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Issues and reads session cookies for the tokens of API_TOKENS."""

    def __init__(
        self, clients: list[ApiClient], hours: float, clock: Callable[[], float] = time.time
    ) -> None:
        material = "\n".join(sorted(f"{c.name}:{c.token}" for c in clients)).encode()
        self._key = hmac.new(b"boss-bot dashboard session v1", material, hashlib.sha256).digest()
        self._by_fingerprint = {
            self._fingerprint(c.token): Caller(c.name, c.read_only) for c in clients
        }
        self.seconds = hours * 3600
        self.clock = clock

    def _fingerprint(self, token: str) -> str:
        return _b64(hmac.new(self._key, b"token\0" + token.encode(), hashlib.sha256).digest()[:16])

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self._key, b"cookie\0" + payload, hashlib.sha256).digest())

    def issue(self, token: str, caller: Caller) -> tuple[str, Session]:
        """A cookie value for ``token`` (already checked: it belongs to ``caller``)."""
        expires = self.clock() + self.seconds
        csrf = secrets.token_urlsafe(24)
        body = {"f": self._fingerprint(token), "x": csrf, "e": round(expires, 3)}
        payload = json.dumps(body, separators=(",", ":")).encode()
        value = f"{_b64(payload)}.{self._sign(payload)}"
        return value, Session(caller.name, caller.read_only, csrf, expires)

    def read(self, value: str | None) -> Session | None:
        """The session a cookie holds, or None (missing, forged, expired, or its token is no
        longer configured)."""
        if not value or len(value) > 1024 or value.count(".") != 1:
            return None
        encoded, signature = value.split(".")
        try:
            payload = _unb64(encoded)
        except (ValueError, binascii.Error):
            return None
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            body = json.loads(payload)
            fingerprint, csrf, expires = str(body["f"]), str(body["x"]), float(body["e"])
        except (ValueError, KeyError, TypeError):
            return None
        caller = self._by_fingerprint.get(fingerprint)
        if caller is None or expires <= self.clock():
            return None
        return Session(caller.name, caller.read_only, csrf, expires)


def is_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int, path: str = "/"
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def clear_cookie(response: Response, request: Request, name: str, path: str = "/") -> None:
    response.delete_cookie(
        name, path=path, httponly=True, samesite="strict", secure=is_https(request)
    )


def same_secret(presented: str | None, expected: str | None) -> bool:
    """Constant-time equality of two CSRF values (both must be present)."""
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


__all__ = [
    "SESSION_COOKIE",
    "SIGNIN_COOKIE",
    "Session",
    "Sessions",
    "clear_cookie",
    "is_https",
    "same_secret",
    "set_cookie",
]
