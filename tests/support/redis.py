"""A throwaway redis-server for tests: a free loopback port, a temp dir, no persistence by
default (``appendonly`` can be switched on to test restarts), stopped afterwards. ``make setup``
installs redis-server, so the tests that need it fail (:func:`require_redis`), never skip, when
it is missing."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def unavailable_reason() -> str | None:
    return None if shutil.which("redis-server") else "redis-server is not installed"


def require_redis() -> None:
    """Fail the calling test when redis-server is not on PATH: a missing server after
    ``make setup`` is a broken build, and a skip would hide it."""
    import pytest  # here, not at the top: bench/scale.py uses this module outside pytest

    if reason := unavailable_reason():
        pytest.fail(f"{reason} (not on PATH); run `make setup`", pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RedisServer:
    port: int
    directory: Path
    appendonly: bool
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.directory), "--save", "",
             "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "always"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def redis_server(*, appendonly: bool = True) -> Iterator[RedisServer]:
    directory = Path(tempfile.mkdtemp(prefix="boss-redis-"))
    server = RedisServer(_free_port(), directory, appendonly).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
