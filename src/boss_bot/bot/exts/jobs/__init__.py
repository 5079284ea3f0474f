"""`status`, `cancel`, `retry` and `priority`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


async def setup(bot: BossBot) -> None:
    from boss_bot.bot.exts.jobs._cog import Jobs

    await bot.add_cog(Jobs(bot))
