"""Shard leases in the store, on SQLite and PostgreSQL: one process per shard, the holder
named when a second one tries, a killed process's shards free once its lease ran out, a
stalled process that lost a shard told so, the shard count agreed by every process.

Two :class:`ShardLeases` (or keepers) on one database stand for two processes; their clock is
moved by hand, so nothing waits for time to pass."""

from __future__ import annotations

import asyncio

import pytest

from boss_bot.core.errors import ConfigurationError, ShardLeaseError
from boss_bot.core.settings import BossSettings
from boss_bot.core.shard_keeper import ShardKeeper, process_name
from boss_bot.core.shards import ShardSet
from boss_bot.core.store import ShardLease, Store, open_store
from boss_bot.core.store.engine import sessions
from boss_bot.core.store.shard_leases import ShardLeases
from tests.support.clock import FakeClock

LEASE = 30.0


def leases(store: Store, clock: FakeClock) -> ShardLeases:
    return ShardLeases(sessions(store.engine), clock=clock)


async def test_a_claim_takes_every_shard_at_once(store: Store) -> None:
    clock = FakeClock()
    a = leases(store, clock)
    expires = await a.claim("host:1:aa", [1, 0], 4, LEASE)
    assert expires == clock.now + LEASE
    assert await a.held() == [ShardLease(0, 4, "host:1:aa", expires),
                              ShardLease(1, 4, "host:1:aa", expires)]  # fmt: skip


async def test_a_second_process_on_a_held_shard_is_refused_naming_it(store: Store) -> None:
    clock = FakeClock()
    a, b = leases(store, clock), leases(store, clock)
    await a.claim("host:1:aa", [0, 1], 2, LEASE)
    clock.advance(10)
    with pytest.raises(ShardLeaseError) as info:
        await b.claim("host:2:bb", [1], 2, LEASE)
    assert isinstance(info.value, ConfigurationError)  # exit code 2 at the CLI
    assert (info.value.shard_id, info.value.holder) == (1, "host:1:aa")
    assert str(info.value) == (
        "shard 1 is already run by host:1:aa (its lease runs out in 20 s): two bot processes "
        "must not run the same shard; give each its own SHARD_IDS"
    )
    # nothing of the refused claim was written
    assert {lease.owner for lease in await a.held()} == {"host:1:aa"}


async def test_only_an_overlap_is_refused(store: Store) -> None:
    clock = FakeClock()
    a, b, c = leases(store, clock), leases(store, clock), leases(store, clock)
    await a.claim("a", [0, 1], 4, LEASE)
    await b.claim("b", [2, 3], 4, LEASE)
    with pytest.raises(ShardLeaseError) as info:
        await c.claim("c", [3, 4, 5], 4, LEASE)  # (4, 5 would be refused by the settings)
    assert (info.value.shard_id, info.value.holder) == (3, "b")
    assert [(x.shard_id, x.owner) for x in await a.held()] == [(0, "a"), (1, "a"), (2, "b"),
                                                               (3, "b")]  # fmt: skip


async def test_another_shard_count_is_refused_while_any_lease_lives(store: Store) -> None:
    clock = FakeClock()
    a, b = leases(store, clock), leases(store, clock)
    await a.claim("a", [0, 1], 2, LEASE)
    with pytest.raises(ShardLeaseError) as info:
        await b.claim("b", [2, 3], 4, LEASE)
    assert str(info.value) == (
        "SHARD_COUNT=4, but a runs shard 0 with SHARD_COUNT=2: every bot process must use the "
        "same SHARD_COUNT (stop them all to change it)"
    )
    await a.release("a")
    await b.claim("b", [2, 3], 4, LEASE)  # all stopped: the new count is taken


async def test_a_killed_process_s_shards_are_free_once_its_lease_ran_out(store: Store) -> None:
    clock = FakeClock()
    dead, restarted = leases(store, clock), leases(store, clock)
    await dead.claim("host:1:aa", [1], 2, LEASE)  # then SIGKILL: never renewed nor released
    clock.advance(LEASE - 1)
    with pytest.raises(ShardLeaseError):
        await restarted.claim("host:7:cc", [1], 2, LEASE)
    clock.advance(1)
    assert await restarted.held() == []
    await restarted.claim("host:7:cc", [1], 2, LEASE)
    assert [x.owner for x in await restarted.held()] == ["host:7:cc"]


async def test_renewing_extends_and_a_stalled_owner_learns_it_lost(store: Store) -> None:
    clock = FakeClock()
    a, b = leases(store, clock), leases(store, clock)
    await a.claim("a", [0, 1], 2, LEASE)
    clock.advance(20)
    assert await a.claim("a", [0, 1], 2, LEASE, renewing=True) == clock.now + LEASE
    clock.advance(LEASE + 5)  # a stalled past its lease; b takes shard 1 over
    await b.claim("b", [1], 2, LEASE)
    with pytest.raises(ShardLeaseError) as info:
        await a.claim("a", [0, 1], 2, LEASE, renewing=True)
    assert (info.value.shard_id, info.value.holder) == (1, "b")
    # a stalled owner nobody replaced simply has its shards again
    clock.advance(LEASE + 5)
    await a.claim("a", [0, 1], 2, LEASE, renewing=True)


async def test_release_drops_only_its_own_leases(store: Store) -> None:
    clock = FakeClock()
    a = leases(store, clock)
    await a.claim("a", [0], 2, LEASE)
    await a.claim("b", [1], 2, LEASE)
    assert await a.release("a") == 1
    assert await a.release("a") == 0
    assert [x.owner for x in await a.held()] == ["b"]


async def test_two_processes_claiming_at_once_one_wins(store_settings: BossSettings) -> None:
    """Two stores (engines) on one database claim the same shard at the same time: the claims
    are serialised, exactly one is refused."""
    stores = [await open_store(store_settings) for _ in range(2)]
    try:
        for _ in range(5):
            results = await asyncio.gather(
                *(s.shards.claim(f"p{i}", [0, 1], 2, LEASE) for i, s in enumerate(stores)),
                return_exceptions=True,
            )
            refused = [r for r in results if isinstance(r, ShardLeaseError)]
            assert len(refused) == 1, results
            assert not [r for r in results if isinstance(r, BaseException)
                        and not isinstance(r, ShardLeaseError)]  # fmt: skip
            winner = [x.owner for x in await stores[0].shards.held()]
            assert len(set(winner)) == 1 and len(winner) == 2
            await stores[0].shards.release(winner[0])
    finally:
        for s in stores:
            await s.close()


async def test_the_keeper_claims_renews_releases_and_reports_a_loss(store: Store) -> None:
    clock = FakeClock()
    lost: list[ShardLeaseError] = []

    async def on_lost(error: ShardLeaseError) -> None:
        lost.append(error)

    keeper = ShardKeeper(leases(store, clock), ShardSet((0, 1), 2), LEASE, on_lost=on_lost)
    assert keeper.owner.count(":") == 2 and keeper.owner != process_name()
    await keeper.claim()
    clock.advance(20)
    assert await keeper.renew() is True
    assert {x.expires_at for x in await store.shards.held()} == {clock.now + LEASE}
    clock.advance(LEASE + 1)
    await leases(store, clock).claim("thief", [1], 2, LEASE)
    assert await keeper.renew() is False
    assert [(e.shard_id, e.holder) for e in lost] == [(1, "thief")]
    assert await keeper.renew() is False and len(lost) == 1  # reported once
    await keeper.close()
    assert [x.owner for x in await leases(store, clock).held()] == ["thief"]


async def test_the_keeper_renews_in_the_background(store: Store) -> None:
    """With a short lease, the background renewal keeps the lease alive past its first
    length (bounded: the test fails if it never moves)."""
    keeper = ShardKeeper(store.shards, ShardSet((0,), 1), 1.5, on_lost=_never)
    await keeper.claim()
    [first] = await store.shards.held()
    keeper.start()
    try:
        for _ in range(100):
            [now] = await store.shards.held()
            if now.expires_at > first.expires_at:
                break
            await asyncio.sleep(0.05)
        assert now.expires_at > first.expires_at
    finally:
        await keeper.close()
    assert await store.shards.held() == []


async def _never(error: ShardLeaseError) -> None:
    raise AssertionError(f"lost {error}")


async def test_migration_0006_makes_the_table_the_model_describes(store: Store) -> None:
    """An empty database upgraded to head has ``shard_leases`` exactly as the ORM row says
    (nothing left for autogenerate), and the revision after 0005."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import Connection, inspect

    from boss_bot.core.store.migrate import current_revision, head_revision
    from boss_bot.core.store.schema import Base

    def shape(conn: Connection) -> tuple[list[str], list[str]]:
        columns = [c["name"] for c in inspect(conn).get_columns("shard_leases")]
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        return columns, [repr(d) for d in diffs if "shard_leases" in repr(d)]

    assert head_revision() >= "0006"
    assert await current_revision(store.engine) == head_revision()
    async with store.engine.connect() as conn:
        columns, diffs = await conn.run_sync(shape)
    assert columns == ["shard_id", "shard_count", "owner", "expires_at"]
    assert diffs == []
