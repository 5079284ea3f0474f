"""Store fixtures: the same tests run on SQLite and PostgreSQL.

A test that only makes sense on SQLite (its pragmas, its transaction threads) is marked
``@pytest.mark.sqlite_only`` and generated for SQLite alone, never generated for PostgreSQL and
then skipped. PostgreSQL is not optional: ``make setup`` installs it, so a missing server fails
the tests that need it (a broken build), it does not skip them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store, open_store
from tests.support.postgres import fresh_database, require_postgres

BACKENDS = ("sqlite", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: a store test generated for SQLite alone")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test using the store runs once per backend (``[sqlite]``, ``[postgres]``); a
    ``sqlite_only`` test has the ``[sqlite]`` case only."""
    if "backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("backend", ["sqlite"] if only else BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database under test, parametrized by :func:`pytest_generate_tests`."""
    if request.param == "postgres":
        require_postgres()
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
