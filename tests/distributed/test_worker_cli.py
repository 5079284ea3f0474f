"""`bossctl worker` refuses a configuration distributed mode cannot run on, in one line."""

from __future__ import annotations

import pytest

from tests.support.redis import redis_server, require_redis
from tests.test_cli import bossctl

PG = "postgresql+asyncpg://boss@127.0.0.1:9/boss"


def test_worker_needs_distributed_mode() -> None:
    result = bossctl("worker", env={"DISCORD_TOKEN": "x"})
    assert result.returncode == 2
    assert "QUEUE_BACKEND=redis" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["worker", "run"])
def test_distributed_mode_refuses_sqlite(command: str) -> None:
    result = bossctl(
        command, env={"QUEUE_BACKEND": "redis", "REDIS_URL": "redis://127.0.0.1:9/0",
                      "DISCORD_TOKEN": "x"},
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "PostgreSQL" in result.stderr and "SQLite" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_distributed_mode_needs_redis_url() -> None:
    result = bossctl("worker", env={"QUEUE_BACKEND": "redis", "DATABASE_URL": PG})
    assert result.returncode == 2 and "REDIS_URL" in result.stderr


def test_worker_check_reports_no_live_worker() -> None:
    require_redis()
    with redis_server(appendonly=False) as redis:
        result = bossctl(
            "worker", "--check",
            env={"QUEUE_BACKEND": "redis", "REDIS_URL": redis.url, "DATABASE_URL": PG},
        )  # fmt: skip
    assert result.returncode == 1
    assert "0 worker(s) alive" in result.stdout
