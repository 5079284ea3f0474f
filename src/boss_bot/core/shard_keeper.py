"""`ShardKeeper`: this bot process's leases on its gateway shards (distributed mode).

Several ``bossctl run`` processes on one token share the store; each claims a lease per shard
it runs, all in one transaction, *before* it connects to the gateway, so a second process on
a shard stops at start-up with one line naming the shard and its holder (see
:mod:`boss_bot.core.store.shard_leases`). While running, the leases are renewed every third of
``SHARD_LEASE_SECONDS``; a clean stop releases them, and a killed process's run out, so its
restart (or a replacement) can take the shards. A process that finds one of its shards taken
over (it stalled past the lease) calls ``on_lost``: the bot shuts down rather than answer
those guilds a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from boss_bot.core.errors import ShardLeaseError

if TYPE_CHECKING:
    from boss_bot.core.shards import ShardSet
    from boss_bot.core.store.shard_leases import ShardLeases

log = logging.getLogger(__name__)

#: What the keeper calls once when a shard was taken over by another process.
OnLost = Callable[[ShardLeaseError], Awaitable[None]]


def process_name() -> str:
    """``host:pid:random``: unique per process, readable in logs and in the lease table."""
    return f"{socket.gethostname()[:48]}:{os.getpid()}:{secrets.token_hex(3)}"


class ShardKeeper:
    """Claim (:meth:`claim`), keep (:meth:`start`) and release (:meth:`close`) the leases."""

    def __init__(
        self,
        leases: ShardLeases,
        shards: ShardSet,
        lease_seconds: float,
        *,
        on_lost: OnLost,
        owner: str | None = None,
    ) -> None:
        self.leases = leases
        self.shards = shards
        self.lease_seconds = lease_seconds
        self.owner = owner or process_name()
        self._on_lost = on_lost
        self._task: asyncio.Task[None] | None = None
        self.lost: ShardLeaseError | None = None

    async def claim(self) -> None:
        """Take every shard of this process, or raise :class:`ShardLeaseError` (nothing taken)."""
        await self.leases.claim(self.owner, self.shards.ids, self.shards.count, self.lease_seconds)
        log.info("shards %s: leases taken as %s", self.shards, self.owner)

    def start(self) -> None:
        """Renew in the background until :meth:`close` (or until a shard is lost)."""
        self._task = asyncio.create_task(self._keep(), name="shard-leases")

    async def renew(self) -> bool:
        """One renewal. False when a shard was lost (``on_lost`` has been called); a database
        error is logged and counts as kept: the next renewal tries again."""
        if self.lost is not None:
            return False
        try:
            await self.leases.claim(self.owner, self.shards.ids, self.shards.count,
                                    self.lease_seconds, renewing=True)  # fmt: skip
        except ShardLeaseError as lost:
            self.lost = lost
            log.error(
                "shard %s was taken over by %s while this process held no live lease on it: "
                "stopping, so that its servers are not answered twice",
                lost.shard_id, lost.holder,
            )  # fmt: skip
            await self._on_lost(lost)
            return False
        except Exception as exc:
            log.warning("shard leases not renewed (%s); trying again", exc)
        return True

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if not await self.renew():
                return

    async def close(self) -> None:
        """Stop renewing and release this process's leases (its shards are free at once)."""
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await self.leases.release(self.owner)
        except Exception as exc:  # they run out by themselves
            log.warning("shard leases not released (%s); they run out in %.0f s",
                        exc, self.lease_seconds)  # fmt: skip


__all__ = ["OnLost", "ShardKeeper", "process_name"]
