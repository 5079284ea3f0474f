"""Fixtures for per-server settings: the real store on SQLite and PostgreSQL (the same
``backend`` / ``store`` fixtures as tests/store, so every store test here runs on both), and
services on it (their clock: :class:`tests.support.clock.FakeClock`, so no test waits for time
to pass)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest_asyncio

from boss_bot.core.guilds import GuildSettingsService
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store
from tests.store import conftest as store_fixtures

# The store tests' fixtures and hooks, by name: every test here that uses ``store`` runs on
# SQLite and on PostgreSQL (``sqlite_only`` marks the exceptions), as in tests/store.
pytest_configure = store_fixtures.pytest_configure
pytest_generate_tests = store_fixtures.pytest_generate_tests
backend = store_fixtures.backend
store_settings = store_fixtures.store_settings
store = store_fixtures.store


MakeService = Callable[..., GuildSettingsService]


@pytest_asyncio.fixture
async def make_service(store: Store, store_settings: BossSettings) -> AsyncIterator[MakeService]:
    """``make_service(clock=…, settings=…, store=…)``: a service (closed after the test), by
    default on the test's store and settings; two of them on one database stand for two
    processes."""
    made: list[GuildSettingsService] = []

    def build(**kwargs: Any) -> GuildSettingsService:
        service = GuildSettingsService(
            kwargs.pop("store", store), kwargs.pop("settings", store_settings), **kwargs
        )
        made.append(service)
        return service

    yield build
    for service in made:
        await service.close()
