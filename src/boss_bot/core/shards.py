"""Which guilds a bot process answers for: shard ids, their spelling, and the owner test.

Discord splits a bot's guilds over ``shard_count`` gateway connections by
``(guild_id >> 22) % shard_count``; DMs always arrive on shard 0. Several ``bossctl run``
processes on one token each run a set of those shards (``SHARD_IDS``). Everything that must
stay with "the process that owns this guild" (adopting a job after a restart) asks
:meth:`ShardSet.owns`. Pure functions only: the settings, the store and the bot build on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Discord's snowflakes keep their creation time above bit 22; the shard comes from it.
SNOWFLAKE_TIME_SHIFT = 22


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """The shard a guild's events arrive on; a DM (no guild) belongs to shard 0."""
    if guild_id is None:
        return 0
    return (guild_id >> SNOWFLAKE_TIME_SHIFT) % shard_count


def parse_ids(text: str) -> tuple[int, ...]:
    """``"0-3"`` or ``"0,2,5-7"`` → sorted shard ids. Raises ValueError for anything else:
    a negative or reversed range, an id named twice, an empty list."""
    ids: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        low, dash, high = part.partition("-")
        try:
            first = int(low.strip())
            last = int(high.strip()) if dash else first
        except ValueError:
            raise ValueError(f"{part!r} is not a shard id or a range like 0-3") from None
        if first < 0 or last < first:
            raise ValueError(f"{part!r} is not a range of shard ids from low to high")
        ids.extend(range(first, last + 1))
    if not ids:
        raise ValueError("no shard id given (e.g. 0-3 or 0,2,5-7)")
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"shard {format_ids(twice)} named twice")
    return tuple(sorted(ids))


def format_ids(ids: Iterable[int]) -> str:
    """The short spelling of shard ids: ``[0, 1, 2, 5]`` → ``"0-2,5"`` (what parse_ids reads)."""
    ordered = sorted(set(ids))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


@dataclass(frozen=True)
class ShardSet:
    """The shards one process runs: ``ids`` out of ``count``."""

    ids: tuple[int, ...]
    count: int

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("a shard count is at least 1")
        if not self.ids or any(not 0 <= i < self.count for i in self.ids):
            raise ValueError(f"shard ids {format_ids(self.ids)} are not all below {self.count}")

    @classmethod
    def every(cls, count: int) -> ShardSet:
        return cls(tuple(range(count)), count)

    @property
    def is_all(self) -> bool:
        """This process runs every shard (it owns every guild and every DM)."""
        return len(set(self.ids)) == self.count

    def owns(self, guild_id: int | None) -> bool:
        """Whether events of this guild (None: a DM) reach this process."""
        return self.is_all or shard_of(guild_id, self.count) in self.ids

    def __str__(self) -> str:
        return f"{format_ids(self.ids)} of {self.count}"


__all__ = ["SNOWFLAKE_TIME_SHIFT", "ShardSet", "format_ids", "parse_ids", "shard_of"]
