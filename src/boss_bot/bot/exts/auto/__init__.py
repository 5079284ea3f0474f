"""Automatic mode: pasted links handled without a command, and `ignore-me`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


async def setup(bot: BossBot) -> None:
    from boss_bot.bot.exts.auto._cog import Auto

    await bot.add_cog(Auto(bot))
