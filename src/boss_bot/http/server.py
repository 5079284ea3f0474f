"""Serve the app with uvicorn **inside the caller's event loop** (the bot's), as a task.

Why not ``uvicorn.run`` or a thread: the API reads the same store engine, event bus and
pipeline objects as the bot, and those belong to one event loop. Two details make uvicorn fit
in a loop it does not own:

* it would install its own SIGINT/SIGTERM handlers (replacing the bot's graceful shutdown),
  so :class:`_EmbeddedServer` turns that off: the bot stops the server from its ``close``;
* it calls ``sys.exit`` when it cannot bind, so the socket is bound here first: a port in
  use is an ``OSError`` at start-up with the address in it, and port 0 gives a free port whose
  number :attr:`HttpServer.port` reports (tests use that).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)

#: How long stop() lets open requests finish before cancelling them.
GRACEFUL_SECONDS = 5.0


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # signals belong to the host process (the bot handles SIGINT/SIGTERM)


class HttpServer:
    """A running server: :attr:`port`, :attr:`url`, and :meth:`stop`."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self._sock = _bind(host, port)
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_config=None,  # our handlers (core.logs) format uvicorn's records too
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
            server_header=False,
            proxy_headers=False,
        )
        self._server = _EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self, timeout: float = 10.0) -> HttpServer:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]), name="boss-http")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._server.started:  # bounded: the task ends, or the deadline passes
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise RuntimeError("the HTTP server stopped during start-up")
            if loop.time() > deadline:
                await self.stop()
                raise TimeoutError("the HTTP server did not start in time")
            await asyncio.sleep(0.01)
        log.info("HTTP API listening on %s", self.url)
        return self

    async def stop(self) -> None:
        """Stop accepting, end SSE streams, let requests finish (bounded), run the lifespan end."""
        self.app.state.closing.set()
        self._server.should_exit = True
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), GRACEFUL_SECONDS + 5)
            except TimeoutError:
                self._server.force_exit = True
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            except SystemExit:  # uvicorn's answer to a failed lifespan start
                log.error("the HTTP server exited during start-up")
            self._task = None
        with contextlib.suppress(OSError):
            self._sock.close()


def _bind(host: str, port: int) -> socket.socket:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _type, _proto, _name, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot serve HTTP on {host}:{port}: {exc.strerror}") from exc
    return sock


async def start_http_server(app: FastAPI, host: str, port: int) -> HttpServer:
    """Bind ``host:port`` (0: any free port) and serve ``app`` in this event loop."""
    return await HttpServer(app, host, port).start()
