"""The operator's dashboard: server-rendered pages at ``/`` beside the API (docs/dashboard.md).

Pages (Jinja2 templates, readable without JavaScript)::

    GET  /signin, POST /signin, POST /signout      an API token in, a session cookie out
    GET  /                                         live jobs, counts, total speed
    GET  /live/events                              their live updates (SSE, HTML for htmx)
    GET  /history                                  finished jobs: filters, cursor pages
    GET  /jobs/{id}                                one job: files, timeline, error, tool/path
    POST /jobs/{id}/cancel | retry | priority      actions (write token + CSRF token)
    GET  /stats                                    $stats' figures and SVG charts
    GET  /workers                                  workers, leases, heartbeats (distributed)
    GET  /servers                                  per-server settings, read-only
    GET  /static/…                                 CSS, icon, vendored htmx (cached)

None of these is in the API's OpenAPI document, and nothing under ``/api/v1`` changes.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from boss_bot.core.guilds import GuildSettings
from boss_bot.http.services import Services
from boss_bot.http.web import actions, pages, signin
from boss_bot.http.web.context import Dashboard, Refused, SignInRequired
from boss_bot.http.web.limiter import SignInLimiter
from boss_bot.http.web.render import STATIC, STATIC_PREFIX, CachedStatic, Pages, secure
from boss_bot.http.web.session import Sessions
from boss_bot.http.web.views import People
from boss_bot.http.web.workers import WorkerHealth


def build_dashboard(services: Services, version: str) -> Dashboard:
    settings = services.settings
    clients = settings.api_clients()
    return Dashboard(
        services=services,
        pages=Pages(version),
        sessions=Sessions(clients, settings.dashboard_session_hours),
        limiter=SignInLimiter(),
        people=People(clients),
        workers=WorkerHealth(settings),
        guild_defaults=GuildSettings.defaults(settings),
    )


def install(app: FastAPI, services: Services, version: str) -> Dashboard:
    """Add the dashboard's routes, static files and error pages to ``app``."""
    web = build_dashboard(services, version)
    app.state.dashboard = web

    async def sign_in_first(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        target = "/signin" if exc.back_to == "/" else f"/signin?next={quote(exc.back_to)}"
        return secure(RedirectResponse(target, status_code=303))

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        return web.pages.page(
            request, "error.html", status=exc.status, title=exc.title, message=exc.message
        )

    app.add_exception_handler(SignInRequired, sign_in_first)
    app.add_exception_handler(Refused, refused)
    app.include_router(signin.router)
    app.include_router(pages.router)
    app.include_router(actions.router)
    app.mount(STATIC_PREFIX, CachedStatic(STATIC, web.pages.hashes), name="static")
    return web


__all__ = ["Dashboard", "build_dashboard", "install"]
