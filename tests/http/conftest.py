"""Fixtures for the HTTP API: a real uvicorn server on 127.0.0.1 (port 0) in the test's event
loop, an httpx client against it, and the store behind it (SQLite in the test's temp dir)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio

from boss_bot.core.events import EventBus
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store, open_store
from boss_bot.http import HttpServer, Services, create_app, start_http_server

RW_TOKEN = "rw-token-0123456789abcdef"
RO_TOKEN = "ro-token-0123456789abcdef"
API_TOKENS = f"ci:{RW_TOKEN},viewer:{RO_TOKEN}:ro"


def auth(token: str = RW_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    """A served app: its server, a client (no auth header by default), what it was given."""

    server: HttpServer
    client: httpx.AsyncClient
    services: Services
    gateway: dict[str, bool] = field(default_factory=lambda: {"up": True})

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def bus(self) -> EventBus:
        return self.services.bus

    @property
    def url(self) -> str:
        return self.server.url


@asynccontextmanager
async def serve(services: Services, gateway: dict[str, bool] | None = None) -> AsyncIterator[Api]:
    """Serve ``services`` on a free loopback port for the duration of the block."""
    server = await start_http_server(create_app(services), "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            yield Api(server, client, services, gateway or {"up": True})
    finally:
        await server.stop()


@pytest.fixture
def api_settings(make_settings: Callable[..., BossSettings]) -> Callable[..., BossSettings]:
    def build(**overrides: Any) -> BossSettings:
        return make_settings(**{"api_tokens": API_TOKENS, **overrides})

    return build


@pytest_asyncio.fixture
async def api(api_settings: Callable[..., BossSettings]) -> AsyncIterator[Api]:
    """The app on a fresh store, with a gateway flag the test can flip."""
    settings = api_settings()
    store = await open_store(settings)
    gateway = {"up": True}
    services = Services(
        settings=settings,
        store=store,
        bus=EventBus(),
        gateway_connected=lambda: gateway["up"],
        sse_keepalive_seconds=0.5,
        probe_timeout_seconds=2.0,
    )
    try:
        async with serve(services, gateway) as served:
            yield served
    finally:
        await store.close()
