"""``DiscordDouble``: configuration, lifecycle, injection and inspection in one object.

See the package docstring for how to use it. The class is assembled from one module per
concept: ``state`` (data, lookups) → ``payloads`` (rendering) → ``events`` (store and
dispatch) → ``config`` → ``interactions`` → ``injection`` → ``inspection`` → here
(lifecycle, faults). The HTTP handlers live in ``rest/``, the websocket in ``gateway.py``.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yarl
from aiohttp import web

from .inspection import Inspection
from .records import Fault, Latency


class DiscordDouble(Inspection):
    """A Discord API + gateway on 127.0.0.1 for end-to-end tests of a discord.py bot.

    Use as ``async with DiscordDouble() as double:`` (or ``await start()`` / ``await stop()``).
    Configure guilds, channels and users *before* the bot connects: the gateway sends them
    in GUILD_CREATE at IDENTIFY time. Constructor options: see :class:`DoubleState`.
    """

    _runner: web.AppRunner | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> DiscordDouble:
        if self._given_storage is not None:
            self._given_storage.mkdir(parents=True, exist_ok=True)
            self._storage_dir = self._given_storage
        else:
            self._storage_dir = Path(tempfile.mkdtemp(prefix="discord-double-"))
        # No client_max_size cap: JSON bodies are small and uploads are streamed.
        app = web.Application(middlewares=[self.rest.middleware], client_max_size=2**40)
        app.router.add_get("/gateway", self.gateway.handle)
        self.rest.add_routes(app)
        app.router.add_route("*", "/{tail:.*}", self.rest.unknown)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[union-attr]
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._storage_dir is not None and self._given_storage is None:
            shutil.rmtree(self._storage_dir, ignore_errors=True)

    async def __aenter__(self) -> DiscordDouble:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py at the double for the duration (and restore it afterwards).

        discord.py reads ``Route.BASE`` (str) for every REST call, including webhooks and
        interaction callbacks, and ``DiscordWebSocket.DEFAULT_GATEWAY`` (``yarl.URL``) when
        a plain ``Client``/``Bot`` — or an ``AutoShardedClient`` given a ``shard_count`` —
        connects.
        """
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = self.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway

    # --- faults ---------------------------------------------------------------------------

    def inject_fault(
        self,
        method: str,
        path_glob: str,
        *,
        status: int = 500,
        count: int = 1,
        retry_after: float = 0.1,
        is_global: bool = False,
        body: dict[str, Any] | None = None,
    ) -> Fault:
        """The next ``count`` requests matching ``method`` ("*" = any) and ``path_glob``
        (fnmatch against the path below ``/api/v10``, e.g. ``"/channels/*/messages"``) get
        ``status``. A 429 carries ``retry_after`` and the headers discord.py needs to retry.

        discord.py retries 500/502/504/524 after 1 s, 3 s, ... (5 tries) and 429 after
        ``retry_after``; other 5xx raise at once (but its webhook adapter — interaction
        callbacks and follow-ups — retries *every* 5xx).
        """
        fault = Fault(
            method=method.upper(),
            path_glob=path_glob,
            status=status,
            remaining=count,
            retry_after=retry_after,
            is_global=is_global,
            body=body,
        )
        self.faults.append(fault)
        return fault

    def inject_latency(
        self,
        method: str,
        path_glob: str,
        seconds: float,
        *,
        count: int = 1,
        uploads_only: bool = False,
    ) -> Latency:
        """The next ``count`` requests matching ``method`` and ``path_glob`` (as for
        :meth:`inject_fault`; with ``uploads_only``, only those carrying files) are answered
        only after ``seconds``."""
        latency = Latency(method.upper(), path_glob, seconds, count, uploads_only)
        self.latencies.append(latency)
        return latency
