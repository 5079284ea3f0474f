"""`download` and `download-only`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


async def setup(bot: BossBot) -> None:
    from boss_bot.bot.exts.downloads._cog import Downloads

    await bot.add_cog(Downloads(bot))
