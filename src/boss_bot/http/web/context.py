"""The dashboard's state for one app (:class:`Dashboard`) and what every route checks.

One :class:`Dashboard` is built by :func:`boss_bot.http.web.install` for each app (no module
holds one): the templates, the session signer, the sign-in limiter, the labels for API
clients, and the workers' heartbeat reader. Routes reach it through ``request.app.state``.

Routes that need a signed-in user depend on :func:`require_session` (no valid cookie: a
redirect to the sign-in page, coming back afterwards). Routes that change something also call
:func:`checked_form`: the form's CSRF token must equal the session's, and the session's token
must not be read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Depends, Request

from boss_bot.core.guilds import GuildSettings
from boss_bot.http.services import Services
from boss_bot.http.web.limiter import SignInLimiter
from boss_bot.http.web.render import Pages
from boss_bot.http.web.session import SESSION_COOKIE, Session, Sessions, same_secret
from boss_bot.http.web.views import People
from boss_bot.http.web.workers import WorkerHealth

#: Form bodies the dashboard reads (its forms are a few short fields).
MAX_FORM_BYTES = 8192


@dataclass
class Dashboard:
    services: Services
    pages: Pages
    sessions: Sessions
    limiter: SignInLimiter
    people: People
    workers: WorkerHealth
    guild_defaults: GuildSettings

    async def close(self) -> None:
        await self.workers.close()


class SignInRequired(Exception):
    """No valid session: answered with a redirect to the sign-in page."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


class Refused(Exception):
    """A request the dashboard answers with an error page (status, title, one line)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def dashboard(request: Request) -> Dashboard:
    return request.app.state.dashboard  # type: ignore[no-any-return]


def current_session(request: Request) -> Session | None:
    session = dashboard(request).sessions.read(request.cookies.get(SESSION_COOKIE))
    request.state.session = session
    return session


async def require_session(request: Request) -> Session:
    session = current_session(request)
    if session is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(back if request.method == "GET" else "/")
    return session


SessionDep = Annotated[Session, Depends(require_session)]


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site (no scheme, no host, no ``//``), else
    ``default``: redirects never leave the dashboard."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target


def with_notice(target: str, notice: str, job_id: str | None = None) -> str:
    """``target`` with ``?notice=…&job=…`` (replacing any earlier notice)."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("notice", "job")]
    query.append(("notice", notice))
    if job_id:
        query.append(("job", job_id))
    return f"{parts.path}?{urlencode(query)}"


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the dashboard's forms), first value of
    each field. Parsed here: a form of a few fields needs no multipart library."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise Refused(415, "Unsupported form", "Send the form as the page does.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise Refused(413, "Form too large", "That form is larger than any of this site's.")
    form: dict[str, str] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        form.setdefault(key, value)
    return form


async def checked_form(request: Request, session: Session) -> dict[str, str]:
    """The posted form, once its CSRF token matches and the session may act."""
    form = await read_form(request)
    if not same_secret(form.get("csrf"), session.csrf):
        raise Refused(
            403, "Form expired", "This form is not from your current session; reload and retry."
        )
    if session.read_only:
        raise Refused(
            403, "Read-only", f"The token of {session.name!r} is read-only: it can look, not act."
        )
    return form


__all__ = [
    "Dashboard",
    "Refused",
    "SessionDep",
    "SignInRequired",
    "checked_form",
    "current_session",
    "dashboard",
    "local_path",
    "read_form",
    "require_session",
    "with_notice",
]
