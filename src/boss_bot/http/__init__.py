"""boss-bot's HTTP face: a JSON API under ``/api/v1`` (queue downloads, follow jobs live over
Server-Sent Events, stats), Prometheus ``/metrics``, ``/healthz`` / ``/readyz``, and the
operator's dashboard at ``/`` (:mod:`boss_bot.http.web`).

It runs inside the bot process, in the bot's event loop, when HTTP_ENABLED is set
(:func:`serve`); see docs/operations.md. Nothing here imports discord: the bot hands in what
is Discord-specific (is the gateway connected?) as plain callables in :class:`Services`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store
from boss_bot.http.app import OPENAPI_URL, create_app
from boss_bot.http.server import HttpServer, start_http_server
from boss_bot.http.services import Services

log = logging.getLogger(__name__)


async def serve(services: Services) -> HttpServer:
    """Build the app and serve it on HTTP_HOST:HTTP_PORT in the running event loop."""
    settings = services.settings
    return await start_http_server(create_app(services), settings.http_host, settings.http_port)


async def start_if_enabled(
    settings: BossSettings,
    store: Store,
    *,
    gateway_connected: Callable[[], bool] | None = None,
    pipeline: Any = None,
    submits: bool = True,
) -> HttpServer | None:
    """What a process calls at start-up: serve the API when HTTP_ENABLED, else None.

    ``pipeline`` (the process's) gives the app its event bus (SSE) and telemetry (/metrics).
    With ``submits`` (the bot), POST /downloads goes through its ``submit`` (the scheduler
    wakes at once) and cancels stop a running job here at once; without (a worker), jobs are
    only persisted and cancels written to the store, and the process running them notices.
    """
    if not settings.http_enabled:
        return None
    services = Services(settings=settings, store=store, gateway_connected=gateway_connected)
    if settings.links_enabled:  # this process's kept files, served at /f/{token}/{name}
        from boss_bot.core.links import Links

        services.links = Links(settings)
    if pipeline is not None:
        services.bus, services.telemetry = pipeline.bus, pipeline.telemetry
        if submits:
            services.submit, services.cancel = pipeline.submit, pipeline.cancel
            services.retry, services.set_priority = pipeline.retry, pipeline.set_priority
    server = await serve(services)
    if settings.dashboard_enabled:  # the address an operator opens
        if settings.api_clients():
            log.info("dashboard: %s/ (sign in with a token from API_TOKENS)", server.url)
        else:
            log.warning("dashboard: %s/ cannot be signed in to: API_TOKENS is empty", server.url)
    return server


__all__ = [
    "OPENAPI_URL",
    "HttpServer",
    "Services",
    "create_app",
    "serve",
    "start_http_server",
    "start_if_enabled",
]
