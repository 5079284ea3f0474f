"""Shard leases: which bot process runs which gateway shard (the queries).

A process claims all of its shards in one transaction, serialised against every other claim
(an advisory lock on PostgreSQL, the write lock on SQLite, taken by the first statement, which
also drops leases that ran out). The claim is refused when another owner holds a live lease
on one of those shards, or runs the bot with another shard count. Renewing is the same
transaction by the same owner, without the count check: a renewal that finds another owner on
a shard has *lost* it (this process stalled past its lease and another took the shard over).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boss_bot.core.errors import ShardLeaseError
from boss_bot.core.store.schema import ShardLeaseRow

#: PostgreSQL advisory-lock key that serialises shard claims (any constant will do).
_CLAIM_LOCK = 0x5A4D1EA5


@dataclass(frozen=True)
class ShardLease:
    shard_id: int
    shard_count: int
    owner: str
    expires_at: float


class ShardLeases:
    """Claims, renewals and releases of shard leases; ``clock`` is UNIX time (tests move it)."""

    def __init__(
        self, sessions: async_sessionmaker, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def claim(
        self, owner: str, ids: Iterable[int], count: int, lease_seconds: float,
        *, renewing: bool = False,
    ) -> float:  # fmt: skip
        """Take (or extend) the leases of ``ids`` for ``owner``; returns when they run out.

        Raises :class:`ShardLeaseError` naming the shard and its holder when another owner holds
        one of them, or (unless ``renewing``) when a live lease was taken with another count.
        """
        wanted = sorted(set(ids))
        async with self._sessions.begin() as s:
            at = await _lock(s, self._clock)
            live = list((await s.scalars(select(ShardLeaseRow))).all())
            others = sorted((r for r in live if r.owner != owner), key=lambda r: r.shard_id)
            for row in others:
                if row.shard_id in wanted:
                    raise ShardLeaseError(
                        f"shard {row.shard_id} is already run by {row.owner} (its lease runs "
                        f"out in {max(0.0, row.expires_at - at):.0f} s): two bot processes must "
                        "not run the same shard; give each its own SHARD_IDS",
                        shard_id=row.shard_id, holder=row.owner,
                    )  # fmt: skip
            if not renewing:
                for row in others:
                    if row.shard_count != count:
                        raise ShardLeaseError(
                            f"SHARD_COUNT={count}, but {row.owner} runs shard {row.shard_id} with "
                            f"SHARD_COUNT={row.shard_count}: every bot process must use the same "
                            "SHARD_COUNT (stop them all to change it)",
                            shard_id=row.shard_id, holder=row.owner,
                        )  # fmt: skip
            expires = at + lease_seconds
            mine = {r.shard_id: r for r in live if r.owner == owner}
            for shard_id in wanted:
                row = mine.get(shard_id)
                if row is None:
                    s.add(ShardLeaseRow(shard_id=shard_id, shard_count=count, owner=owner,
                                        expires_at=expires))  # fmt: skip
                else:
                    row.shard_count, row.expires_at = count, expires
        return expires

    async def release(self, owner: str) -> int:
        """Drop ``owner``'s leases (a clean shutdown); returns how many there were."""
        async with self._sessions.begin() as s:
            result = await s.execute(delete(ShardLeaseRow).where(ShardLeaseRow.owner == owner))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def held(self) -> list[ShardLease]:
        """Every lease that has not run out, by shard."""
        at = self._clock()
        async with self._sessions() as s:
            rows = (
                await s.scalars(
                    select(ShardLeaseRow)
                    .where(ShardLeaseRow.expires_at > at)
                    .order_by(ShardLeaseRow.shard_id)
                )
            ).all()
        return [ShardLease(r.shard_id, r.shard_count, r.owner, r.expires_at) for r in rows]


async def _lock(s: AsyncSession, clock: Callable[[], float]) -> float:
    """Serialise claims and drop leases that ran out; returns the time the claim judges leases
    by. PostgreSQL reads it after the lock; on SQLite the delete itself waits for the write lock,
    so a claim that waited judges by a slightly earlier time: leases look alive longer, never
    shorter."""
    if s.get_bind().dialect.name == "postgresql":
        await s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK})
    at = clock()
    await s.execute(delete(ShardLeaseRow).where(ShardLeaseRow.expires_at <= at))
    return at


__all__ = ["ShardLease", "ShardLeases"]
