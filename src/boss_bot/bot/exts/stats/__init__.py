"""`stats` and `yt-stats`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


async def setup(bot: BossBot) -> None:
    from boss_bot.bot.exts.stats._cog import StatsCog

    await bot.add_cog(StatsCog(bot))
