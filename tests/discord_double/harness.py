"""Running real discord.py bots against the double in tests: bounded waits that fail fast
when the bot dies, and the end-of-test checks (no gaps in the double, no logged errors)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import discord
import pytest

from . import DiscordDouble

T = TypeVar("T")
WAIT = 5.0


class QuietIdentify:
    """discord.py sleeps 5 s before every IDENTIFY but the first (also per extra shard);
    a test has no reason to."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


@dataclass
class Running:
    double: DiscordDouble
    bots: list[discord.Client]
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def bot(self) -> Any:
        return self.bots[0]

    async def until(self, predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
        """Wait (bounded, polling) for a condition on the bot's side or the double's."""
        return await self.bounded(self.double.wait_until(predicate, timeout, poll=0.01), timeout)

    async def bounded(self, awaitable: Awaitable[T], timeout: float = WAIT) -> T:
        """Await with a timeout, failing at once with a bot's error if a bot dies."""
        waiter = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait(
            {waiter, *self.tasks}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter in done:
            return waiter.result()
        waiter.cancel()
        for task in self.tasks:
            if task in done:
                task.result()  # raises the bot's exception
                raise AssertionError("a bot stopped")
        raise TimeoutError(f"nothing within {timeout} s")


@contextlib.asynccontextmanager
async def running(
    double: DiscordDouble,
    *bots: discord.Client,
    caplog: pytest.LogCaptureFixture | None = None,
    shards: int = 1,
) -> AsyncIterator[Running]:
    """Start ``bots`` against a started double, wait until all are ready (and ``shards``
    distinct shards are live), yield, then check and stop them."""
    with double.patch_discord():
        run = Running(double, list(bots))
        run.tasks = [asyncio.create_task(b.start(double.token)) for b in bots]
        try:
            await run.bounded(double.wait_for_gateway(shards=shards))
            for bot in bots:
                await run.bounded(bot.wait_until_ready())
            yield run
            assert double.unknown_routes == []
            assert double.internal_errors == []
            if caplog is not None:
                records = caplog.get_records("setup") + caplog.get_records("call")
                errors = [r for r in records if r.levelno >= logging.ERROR]
                assert errors == [], [r.getMessage() for r in errors]
        finally:
            for bot in bots:
                await bot.close()
            for task in run.tasks:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, WAIT)
