"""Distributed mode: a change made by another process reaches this one's cache through Redis
pub/sub at once, through a Redis restart, and through the version check when an announcement
is lost. A real redis-server and PostgreSQL; the services' clocks never move, so only an
announcement can explain a change seen (waits are bounded polls, never sleeps to a time)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from boss_bot.core.guilds import GuildSettingsService, RedisInvalidations
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store, open_store
from tests.support.clock import FakeClock
from tests.support.postgres import fresh_database
from tests.support.redis import RedisServer, redis_server, require_redis

GUILD, USER, ADMIN = 2001, 88, 42
#: The longest any wait here may take (an announcement takes about a millisecond).
BOUND = 15.0


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = BOUND) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if result := await check():
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check}")
        await asyncio.sleep(0.01)


@dataclass
class Cluster:
    settings: BossSettings
    store: Store
    redis: RedisServer
    made: list[GuildSettingsService]

    def service(self, **kwargs: Any) -> GuildSettingsService:
        """A service standing for one process (its clock never moves)."""
        made = GuildSettingsService(self.store, self.settings, clock=FakeClock(), **kwargs)
        self.made.append(made)
        return made


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    require_redis()  # installed by `make setup`: missing fails, never skips
    with redis_server(appendonly=False) as server:
        yield server


@pytest_asyncio.fixture
async def cluster(
    make_settings: Callable[..., BossSettings], postgres_url: str, redis: RedisServer
) -> AsyncIterator[Cluster]:
    settings = make_settings(queue_backend="redis", redis_url=redis.url,
                             database_url=await fresh_database(postgres_url))  # fmt: skip
    store = await open_store(settings)
    made = Cluster(settings, store, redis, [])
    try:
        yield made
    finally:
        for service in made.made:
            await service.close()
        await store.close()


async def test_distributed_mode_announces_over_redis(cluster: Cluster) -> None:
    assert isinstance(cluster.service().invalidations, RedisInvalidations)


async def test_another_process_s_change_is_seen_through_pub_sub(cluster: Cluster) -> None:
    bot = cluster.service()
    await bot.start()
    assert bot.invalidations is not None and bot.invalidations.subscriptions == 1
    cli = cluster.service()  # like `bossctl guild set`: publishes, never subscribes
    assert (await bot.get(GUILD)).auto == "off"
    assert await bot.ignored(USER) is False
    reads = bot.cache.version_reads

    await cli.set(GUILD, "auto", ["everywhere"], by=ADMIN)
    await eventually(lambda: _auto_is(bot, "everywhere"))
    await cli.set_ignored(USER, True)
    await eventually(lambda: bot.ignored(USER))
    assert bot.cache.version_reads == reads  # no version check: the announcement did it


async def test_the_subscriber_reconnects_after_a_redis_restart(cluster: Cluster) -> None:
    bot = cluster.service()
    await bot.start()
    announcements = bot.invalidations
    assert isinstance(announcements, RedisInvalidations)
    assert (await bot.get(GUILD)).quality == "720p"
    cluster.redis.restart()
    await eventually(_true_when(lambda: announcements.subscriptions >= 2))
    await eventually(_true_when(announcements.subscribed.is_set))
    # re-subscribing dropped the cache: whatever was announced while away is read again
    assert len(bot.cache) == 0

    await cluster.service().set(GUILD, "quality", ["360p"], by=ADMIN)
    await eventually(lambda: _quality_is(bot, "360p"))


async def test_a_lost_announcement_is_caught_by_the_version_check(cluster: Cluster) -> None:
    clock = FakeClock()
    bot = GuildSettingsService(cluster.store, cluster.settings, clock=clock)
    cluster.made.append(bot)
    await bot.start()
    assert (await bot.get(GUILD)).sensitive == "block"
    silent = cluster.service(invalidations=_Silent())  # its announcements never arrive
    await silent.set(GUILD, "sensitive", ["spoiler"], by=ADMIN)
    assert (await bot.get(GUILD)).sensitive == "block"  # nothing told it yet
    clock.advance(cluster.settings.guild_settings_cache_seconds)
    assert (await bot.get(GUILD)).sensitive == "spoiler"


async def test_a_publish_with_redis_down_does_not_fail_the_write(cluster: Cluster) -> None:
    writer = cluster.service()
    cluster.redis.stop()
    try:
        settings = await asyncio.wait_for(
            writer.set(GUILD, "original", ["suppress"], by=ADMIN), BOUND
        )
    finally:
        cluster.redis.start()
    assert settings.original == "suppress"
    assert (await cluster.service().get(GUILD)).original == "suppress"


class _Silent:
    """Invalidations that go nowhere (a lost announcement)."""

    async def start(self, on_message: Any, on_gap: Any) -> None: ...

    async def publish(self, message: str) -> None: ...

    async def close(self) -> None: ...


def _true_when(check: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def run() -> bool:
        return check()

    return run


async def _auto_is(service: GuildSettingsService, value: str) -> bool:
    return (await service.get(GUILD)).auto == value


async def _quality_is(service: GuildSettingsService, value: str) -> bool:
    return (await service.get(GUILD)).quality == value
