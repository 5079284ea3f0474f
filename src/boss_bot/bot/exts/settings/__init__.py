"""`/settings` (the panel) and `$settings …`: each server's admins configure the bot."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


async def setup(bot: BossBot) -> None:
    from boss_bot.bot.exts.settings._cog import Settings

    await bot.add_cog(Settings(bot))
