"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl in a temp dir, on a free loopback
port, stopped afterwards. ``make setup`` installs PostgreSQL, so the tests that need it fail
(:func:`require_postgres`), never skip, when its binaries are missing.

PostgreSQL refuses to run as root, so as root the cluster is owned by the ``postgres`` (or
``nobody``) user and the commands run through ``runuser``.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BIN_DIRS = [Path(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]


def find_bin(name: str) -> str | None:
    for d in PG_BIN_DIRS:
        if (d / name).is_file():
            return str(d / name)
    return shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unavailable_reason() -> str | None:
    if not (find_bin("initdb") and find_bin("pg_ctl")):
        return "PostgreSQL (initdb/pg_ctl) is not installed"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root without runuser"
    return None


def require_postgres() -> None:
    """Fail the calling test when PostgreSQL cannot run here: a missing server after
    ``make setup`` is a broken build, and a skip would hide it."""
    import pytest  # here, not at the top: bench/scale.py uses this module outside pytest

    if reason := unavailable_reason():
        pytest.fail(
            f"{reason} (looked in /usr/lib/postgresql/*/bin and PATH); run `make setup`",
            pytrace=False,
        )


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a ``postgresql+asyncpg://`` URL of a fresh cluster; stop and delete it after.

    The cluster lives in its own ``/tmp`` directory (pytest's temp dirs are root-only, and the
    server runs as another user).
    """
    base = Path(tempfile.mkdtemp(prefix="boss-pg-"))
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    assert initdb and pg_ctl
    prefix: list[str] = []
    user = None
    if os.geteuid() == 0:
        for name in ("postgres", "nobody"):
            try:
                user = pwd.getpwnam(name)
                break
            except KeyError:
                continue
        assert user is not None
        prefix = ["runuser", "-u", user.pw_name, "--"]
    data = base / "pgdata"
    if user is not None:
        os.chown(base, user.pw_uid, user.pw_gid)
    port = _free_port()
    run = lambda *cmd: subprocess.run(  # noqa: E731
        [*prefix, *cmd], check=True, capture_output=True, timeout=120
    )
    run(initdb, "-D", str(data), "-U", "boss", "--auth=trust", "-E", "UTF8", "--no-sync")
    run(
        pg_ctl, "-D", str(data), "-w", "-t", "60", "-l", str(base / "pg.log"), "-o",
        f"-h 127.0.0.1 -p {port} -k {base} -c fsync=off -c full_page_writes=off",
        "start",
    )  # fmt: skip
    try:
        yield f"postgresql+asyncpg://boss@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


_db_names = itertools.count(1)


async def fresh_database(server_url: str) -> str:
    """A new, empty database on the server (one per test keeps tests independent)."""
    import asyncpg

    name = f"boss_test_{os.getpid()}_{next(_db_names)}"
    dsn = server_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server_url.rsplit("/", 1)[0] + f"/{name}"
