"""A real BossBot connected to the Discord double, for benches and one-off scenarios (the test
suite's own fixture, with its checks, is ``make_world`` in tests/bot/conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from boss_bot.bot.client import BossBot

if TYPE_CHECKING:
    from boss_bot.core.settings import BossSettings
    from tests.discord_double import DiscordDouble


@asynccontextmanager
async def running_bot(
    double: DiscordDouble, settings: BossSettings, *, timeout: float = 30.0
) -> AsyncIterator[BossBot]:
    """The bot, started and ready (every wait bounded by ``timeout``); closed afterwards."""
    bot = BossBot(settings, guild_ready_timeout=0.1)
    task = asyncio.create_task(bot.start(double.token))
    try:
        await double.wait_for_gateway(timeout=timeout)
        await asyncio.wait_for(bot.wait_until_ready(), timeout)
        yield bot
    finally:
        await bot.close()
        await asyncio.wait_for(task, timeout)
