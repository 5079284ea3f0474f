"""Per-user rate limits and per-guild daily byte quotas, counted from the store itself."""

from __future__ import annotations

import time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from boss_bot.core.errors import QuotaExceededError
from boss_bot.core.store.schema import JobRow, MetricRow

DAY = 86_400.0


def _human_wait(seconds: float) -> str:
    seconds = max(1, int(seconds + 0.999))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


class Quotas:
    def __init__(
        self,
        sessions: async_sessionmaker,
        *,
        user_limit: int,
        user_window_seconds: float,
        guild_daily_bytes: int,
    ) -> None:
        self._sessions = sessions
        self.user_limit = user_limit
        self.user_window = user_window_seconds
        self.guild_daily_bytes = guild_daily_bytes

    async def check(self, *, user_id: int, guild_id: int | None, admin: bool = False) -> None:
        """Raise :class:`QuotaExceededError` (with ``retry_after_seconds``) when over a limit."""
        if admin:
            return
        now = time.time()
        async with self._sessions() as s:
            if self.user_limit > 0:
                since = now - self.user_window
                times = (
                    await s.scalars(
                        select(JobRow.created_at)
                        .where(JobRow.user_id == user_id, JobRow.created_at >= since)
                        .order_by(JobRow.created_at)
                    )
                ).all()
                if len(times) >= self.user_limit:
                    # The window frees up when the oldest counted request leaves it.
                    wait = times[len(times) - self.user_limit] + self.user_window - now
                    raise QuotaExceededError(
                        f"user {user_id}: {len(times)} requests in {self.user_window:g}s",
                        user_message=f"You've reached {self.user_limit} downloads per "
                        f"{_human_wait(self.user_window)}; try again in {_human_wait(wait)}.",
                        retry_after_seconds=wait,
                    )
            if self.guild_daily_bytes > 0 and guild_id is not None:
                day_start = now - now % DAY  # UTC midnight
                used = await s.scalar(
                    select(func.coalesce(func.sum(MetricRow.bytes_downloaded), 0)).where(
                        MetricRow.guild_id == guild_id, MetricRow.created_at >= day_start
                    )
                )
                if int(used or 0) >= self.guild_daily_bytes:
                    wait = day_start + DAY - now
                    raise QuotaExceededError(
                        f"guild {guild_id}: {used} bytes today",
                        user_message="This server has used its download quota for today; "
                        f"it resets in {_human_wait(wait)} (00:00 UTC).",
                        retry_after_seconds=wait,
                    )
