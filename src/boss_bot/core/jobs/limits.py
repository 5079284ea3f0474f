"""Per-guild per-file limits learnt from Discord's 413 (lower than the tier says), persisted.

Discord's refusal does not say the real limit, so a refusal steps the limit down through the
limits Discord has used; the result is stored (``Store.limits``), so every later job in that
guild, and the bot after a restart, fits files to it at once instead of being refused again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from boss_bot.core.upload.limits import DM_FILE_LIMIT, FILE_LIMIT_BY_PREMIUM_TIER

if TYPE_CHECKING:
    from boss_bot.core.store.limits import LearnedLimits

log = logging.getLogger(__name__)

#: Limits a learnt limit steps down through before it guesses (the ones Discord advertises).
KNOWN_LIMITS = sorted({*FILE_LIMIT_BY_PREMIUM_TIER.values(), DM_FILE_LIMIT})


def next_lower(rejected_bytes: int, current: int) -> int:
    """A limit below a refused file: the largest known limit below both the refused file and
    the current limit, else 80 % of the smaller (pure)."""
    ceiling = min(rejected_bytes, current)
    below = [v for v in KNOWN_LIMITS if v < ceiling]
    return below[-1] if below else max(1, ceiling * 4 // 5)


class LimitBook:
    """Learnt limits by guild id, backed by the store (None: a DM, nothing is learnt)."""

    def __init__(self, store: LearnedLimits) -> None:
        self._store = store

    async def effective(self, guild_id: int | None, advertised: int) -> int:
        learnt = await self._store.get(guild_id) if guild_id is not None else None
        return advertised if learnt is None else min(advertised, learnt)

    async def lower(self, guild_id: int | None, rejected_bytes: int, current: int) -> int:
        """Record (and return) the limit in force after a refusal of ``rejected_bytes``."""
        new = next_lower(rejected_bytes, current)
        if guild_id is not None:
            new = await self._store.lower_to(guild_id, new)
        log.warning("upload refused as too large at %d B: per-file limit for %s is now %d B",
                    rejected_bytes, guild_id or "this DM", new)  # fmt: skip
        return new

    async def learnt(self, guild_id: int) -> int | None:
        return await self._store.get(guild_id)


__all__ = ["KNOWN_LIMITS", "LimitBook", "next_lower"]
