"""`sync`, `reload` and `cleanup`: owner or Manage Server only."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


async def setup(bot: BossBot) -> None:
    from boss_bot.bot.exts.admin._cog import Admin

    await bot.add_cog(Admin(bot))
