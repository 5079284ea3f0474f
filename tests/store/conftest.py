"""Store fixtures: the same tests run on SQLite and, when it is installed, PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store, open_store
from tests.support.postgres import fresh_database, unavailable_reason


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
        overrides["database_url"] = await fresh_database(server)
    return make_settings(**overrides)


@pytest_asyncio.fixture
async def store(store_settings: BossSettings) -> AsyncIterator[Store]:
    s = await open_store(store_settings)
    yield s
    await s.close()
