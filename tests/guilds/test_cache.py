"""The settings cache on its own: the version check's interval, drops, the epoch guard, the bound."""

from __future__ import annotations

import asyncio

from boss_bot.core.guilds.cache import SettingsCache
from tests.support.clock import FakeClock


class Versions:
    """The store's settings version, as a cache sees it; counts the reads."""

    def __init__(self) -> None:
        self.version = 0
        self.reads = 0

    async def __call__(self) -> int:
        self.reads += 1
        return self.version


async def test_the_version_is_read_at_most_once_per_interval_and_a_move_drops_everything() -> None:
    clock, versions = FakeClock(), Versions()
    cache = SettingsCache(versions, interval=1.0, clock=clock)
    await cache.check()
    cache.put("a", 1, cache.epoch)
    versions.version = 1
    clock.advance(0.5)
    await cache.check()
    assert (versions.reads, cache.get("a")) == (1, 1)  # within the interval: not read again
    clock.advance(0.5)
    await cache.check()
    assert (versions.reads, cache.get("a"), cache.version_moves) == (2, None, 1)


async def test_an_interval_of_zero_reads_the_version_every_time() -> None:
    versions = Versions()
    cache = SettingsCache(versions, interval=0, clock=FakeClock())
    for _ in range(3):
        await cache.check()
    assert versions.reads == 3


async def test_concurrent_reads_share_one_version_read() -> None:
    versions = Versions()
    cache = SettingsCache(versions, interval=1.0, clock=FakeClock())
    await asyncio.gather(*(cache.check() for _ in range(5)))
    assert versions.reads == 1


async def test_a_read_that_began_before_a_drop_is_not_kept() -> None:
    cache = SettingsCache(Versions(), interval=1.0, clock=FakeClock())
    began = cache.epoch
    cache.drop("a")  # another process changed it while the read was in flight
    cache.put("a", "old", began)
    assert cache.get("a") is None
    cache.put("a", "new", cache.epoch)
    assert cache.get("a") == "new"


async def test_our_own_write_keeps_the_cache_valid_only_when_nobody_wrote_in_between() -> None:
    clock, versions = FakeClock(), Versions()
    cache = SettingsCache(versions, interval=1.0, clock=clock)
    await cache.check()
    cache.put("b", 2, cache.epoch)
    versions.version = 1
    cache.wrote(1)  # ours, right after the version seen
    clock.advance(1)
    await cache.check()
    assert cache.get("b") == 2
    versions.version = 3  # someone else wrote 2, then we wrote 3
    cache.wrote(3)
    clock.advance(1)
    await cache.check()
    assert cache.get("b") is None


def test_the_cache_is_bounded_least_recently_used_first_out() -> None:
    cache = SettingsCache(Versions(), interval=1.0, clock=FakeClock(), max_entries=3)
    for key in "abc":
        cache.put(key, key, cache.epoch)
    assert cache.get("a") == "a"  # now the most recently used
    cache.put("d", "d", cache.epoch)
    assert len(cache) == 3
    assert cache.get("b") is None and cache.get("a") == "a"
