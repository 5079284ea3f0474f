"""Fixtures for the dashboard: the app served on 127.0.0.1 (tests/http's ``serve``), a client
that keeps cookies like a browser, and helpers to sign in and to post the pages' forms."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest_asyncio
from pydantic import SecretStr

from boss_bot.core.distributed import Tickets
from boss_bot.core.events import EventBus
from boss_bot.core.jobs import Job, JobRequest
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store, open_store
from boss_bot.http import Services
from tests.http.conftest import API_TOKENS, RO_TOKEN, RW_TOKEN, Api, serve
from tests.support.redis import RedisServer, redis_server, require_redis
from tests.support.urls import platform_url
from tests.web.seed import add_job

__all__ = [
    "RO_TOKEN",
    "RW_TOKEN",
    "Api",
    "csrf_of",
    "distributed",
    "enqueue",
    "post_form",
    "sign_in",
]

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no CSRF field in the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, token: str = RW_TOKEN) -> httpx.Response:
    """What a person does: open the sign-in page, type the token, submit."""
    form = await client.get("/signin")
    assert form.status_code == 200, form.text
    return await client.post(
        "/signin", data={"csrf": csrf_of(form.text), "next": "/", "token": token}
    )


async def post_form(
    client: httpx.AsyncClient, action: str, fields: dict[str, Any] | None = None, page: str = "/"
) -> httpx.Response:
    """Post a form as the page at ``page`` would (with that page's CSRF token)."""
    html = (await client.get(page)).text
    return await client.post(action, data={"csrf": csrf_of(html), "next": page, **(fields or {})})


async def enqueue(api: Api, n: int = 1, platform: str = "generic", **fields: Any) -> list[Job]:
    jobs = []
    for i in range(n):
        request = JobRequest(url=platform_url(platform, i), user_id=1000 + i, **fields)
        jobs.append(await api.store.queue.enqueue(request))
    return jobs


@pytest_asyncio.fixture
async def dash(make_settings: Callable[..., BossSettings]) -> AsyncIterator[Api]:
    """The app on a fresh store; its client is not signed in."""
    settings = make_settings(api_tokens=API_TOKENS)
    store = await open_store(settings)
    services = Services(settings=settings, store=store, bus=EventBus(), sse_keepalive_seconds=0.5)
    try:
        async with serve(services) as served:
            yield served
    finally:
        await store.close()


@pytest_asyncio.fixture
async def signed_in(dash: Api) -> Api:
    """``dash`` with its client signed in with the read-write token."""
    r = await sign_in(dash.client)
    assert r.status_code == 303, r.text
    return dash


def distributed_settings(settings: BossSettings, redis: RedisServer) -> BossSettings:
    """``settings`` as a process of distributed mode sees them (QUEUE_BACKEND=redis). The
    store stays the test's own (its database URL is only checked for its shape)."""
    return settings.model_copy(
        update={
            "queue_backend": "redis",
            "redis_url": SecretStr(redis.url),
            "database_url": "postgresql+asyncpg://boss@127.0.0.1/boss",
        }
    )


async def beat(redis: RedisServer, settings: BossSettings, worker: str, running: str) -> None:
    """A worker's heartbeat, written the way ``WorkerService.beat`` writes it."""
    tickets = await Tickets.connect(settings)
    try:
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} running={running}"
        await tickets.beat(worker, line, 30)
    finally:
        await tickets.close()


@asynccontextmanager
async def distributed(settings: BossSettings, store: Store) -> AsyncIterator[Api]:
    """The app of a distributed-mode process on ``store``, with a throwaway redis-server, one
    live worker (``worker-a``: a heartbeat and a lease) and one dead one (``worker-b``: a
    lease that ran out, no heartbeat)."""
    require_redis()
    with redis_server(appendonly=False) as redis:
        mode = distributed_settings(settings, redis)
        await beat(redis, mode, "worker-a", "1/2")
        now = time.time()
        await add_job(store, status="running", stage="downloading", url="https://x.com/a/status/1",
                      platform="twitter", lease_owner="worker-a", lease_expires_at=now + 25)  # fmt: skip
        await add_job(store, status="running", stage="uploading", url="https://x.com/a/status/2",
                      platform="twitter", lease_owner="worker-b", lease_expires_at=now - 5)  # fmt: skip
        async with serve(Services(settings=mode, store=store, bus=EventBus())) as served:
            yield served
