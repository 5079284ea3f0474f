"""Fixtures for the sharding tests: the real store on SQLite and PostgreSQL (the same
``backend`` / ``store`` fixtures as tests/store, so every store test here runs on both). The
leases run on :class:`tests.support.clock.FakeClock`: no test waits for a lease to run out."""

from __future__ import annotations

from tests.store import conftest as store_fixtures

pytest_configure = store_fixtures.pytest_configure
pytest_generate_tests = store_fixtures.pytest_generate_tests
backend = store_fixtures.backend
store_settings = store_fixtures.store_settings
store = store_fixtures.store
