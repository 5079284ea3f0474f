"""Store fixtures: the same tests run on SQLite and, when it is installed, PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store, open_store
from tests.support.postgres import postgres_server, unavailable_reason

_db_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    if unavailable_reason():
        yield None
        return
    with postgres_server() as url:
        yield url


async def _fresh_pg_database(server_url: str) -> str:
    import asyncpg

    name = f"boss_test_{next(_db_names)}"
    dsn = server_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and (reason := unavailable_reason()):
        pytest.skip(f"PostgreSQL store tests skipped: {reason}")
    return request.param


@pytest_asyncio.fixture
async def store_settings(
    backend: str,
    make_settings: Callable[..., BossSettings],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> BossSettings:
    overrides: dict[str, object] = {"data_dir": tmp_path / "data"}
    if backend == "postgres":
        server = request.getfixturevalue("postgres_url")
        overrides["database_url"] = await _fresh_pg_database(server)
    return make_settings(**overrides)


@pytest_asyncio.fixture
async def store(store_settings: BossSettings) -> AsyncIterator[Store]:
    s = await open_store(store_settings)
    yield s
    await s.close()
