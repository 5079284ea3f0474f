"""Signing in and out: an API token in, a session cookie out (see :mod:`.session`).

A wrong token always gets the same answer (:data:`WRONG_TOKEN`, status 401), whether the token
is unknown, a near miss of a real one, a real one with ``:ro`` typed after it, or empty; which
tokens exist never shows. Failures are counted per client address and slowed down
(:mod:`.limiter`): a try made too soon is answered 429 with ``Retry-After`` without looking at
the token. The sign-in form carries a one-time value that must match a ``SameSite=Strict``
cookie, so another site cannot sign a browser in (to its own token).
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from boss_bot.http.auth import TokenBook
from boss_bot.http.web.context import current_session, dashboard, local_path, read_form
from boss_bot.http.web.render import secure
from boss_bot.http.web.session import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    SIGNIN_COOKIE_SECONDS,
    clear_cookie,
    same_secret,
    set_cookie,
)

WRONG_TOKEN = "That token is not valid."  # noqa: S105 (a message, not a secret)
FORM_EXPIRED = "The sign-in form expired; please try again."
#: Longer than any token API_TOKENS accepts (256): not even hashed.
MAX_TOKEN_LENGTH = 512

router = APIRouter(include_in_schema=False)


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _form_page(
    request: Request,
    *,
    next_path: str,
    error: str | None = None,
    status: int = 200,
    notice: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    web = dashboard(request)
    nonce = secrets.token_urlsafe(24)
    response = web.pages.page(
        request,
        "signin.html",
        status=status,
        session=None,
        signin_csrf=nonce,
        next_path=next_path,
        error=error,
        notice=notice,
        no_tokens=not len(request.app.state.tokens),
    )
    set_cookie(response, request, SIGNIN_COOKIE, nonce, SIGNIN_COOKIE_SECONDS, path="/signin")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@router.get("/signin")
async def signin_form(request: Request) -> Response:
    next_path = local_path(request.query_params.get("next"))
    if current_session(request) is not None:
        return secure(RedirectResponse(next_path, status_code=303))
    notice = "You are signed out." if request.query_params.get("notice") == "signed-out" else None
    return _form_page(request, next_path=next_path, notice=notice)


@router.post("/signin")
async def signin(request: Request) -> Response:
    web = dashboard(request)
    form = await read_form(request)
    next_path = local_path(form.get("next"))
    address = _client(request)
    wait = web.limiter.retry_after(address)
    if wait is not None:
        message = f"Too many failed sign-ins from your address; try again in {wait} s."
        return _form_page(
            request,
            next_path=next_path,
            error=message,
            status=429,
            headers={"Retry-After": str(wait)},
        )
    if not same_secret(form.get("csrf"), request.cookies.get(SIGNIN_COOKIE)):
        return _form_page(request, next_path=next_path, error=FORM_EXPIRED, status=403)
    token = form.get("token", "").strip()
    book: TokenBook = request.app.state.tokens
    caller = book.match(token) if 0 < len(token) <= MAX_TOKEN_LENGTH else None
    if caller is None:
        web.limiter.failed(address)
        return _form_page(request, next_path=next_path, error=WRONG_TOKEN, status=401)
    web.limiter.succeeded(address)
    value, _session = web.sessions.issue(token, caller)
    response = secure(RedirectResponse(next_path, status_code=303))
    set_cookie(response, request, SESSION_COOKIE, value, int(web.sessions.seconds))
    clear_cookie(response, request, SIGNIN_COOKIE, path="/signin")
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    """Clears the cookie. Needs the session's CSRF token (read-only sessions may sign out)."""
    session = current_session(request)
    if session is not None:
        form = await read_form(request)
        if not same_secret(form.get("csrf"), session.csrf):
            return secure(RedirectResponse("/", status_code=303))
    response = secure(RedirectResponse("/signin?notice=signed-out", status_code=303))
    clear_cookie(response, request, SESSION_COOKIE)
    return response


__all__ = ["FORM_EXPIRED", "WRONG_TOKEN", "router"]
