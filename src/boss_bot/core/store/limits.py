"""Per-guild upload limits learned from Discord's 413 answers (lower than the tier says)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from boss_bot.core.store.schema import GuildLimitRow, now


class LearnedLimits:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def get(self, guild_id: int) -> int | None:
        async with self._sessions() as s:
            row = await s.get(GuildLimitRow, guild_id)
        return row.file_limit_bytes if row else None

    async def lower_to(self, guild_id: int, limit_bytes: int) -> int:
        """Record ``limit_bytes`` if lower than what is known; returns the limit in force."""
        async with self._sessions.begin() as s:
            row = await s.get(GuildLimitRow, guild_id)
            if row is None:
                s.add(
                    GuildLimitRow(guild_id=guild_id, file_limit_bytes=limit_bytes, updated_at=now())
                )
                return limit_bytes
            if limit_bytes < row.file_limit_bytes:
                row.file_limit_bytes, row.updated_at = limit_bytes, now()
            return row.file_limit_bytes
