"""On restart, a bot process adopts only the queued jobs of the guilds on its own shards
(DMs: shard 0), on SQLite and PostgreSQL. A dispatcher (distributed mode) follows those until
a worker takes them; a job a worker already runs is not adopted; embedded mode's restart goes
through the same filter."""

from __future__ import annotations

import asyncio
from typing import Any

from boss_bot.core.events import EventBus
from boss_bot.core.jobs import Job, JobRequest
from boss_bot.core.manager import DownloadManager
from boss_bot.core.pipeline import AdoptReason, Attachment, Pipeline
from boss_bot.core.settings import BossSettings
from boss_bot.core.shards import ShardSet, shard_of
from boss_bot.core.store import Store
from boss_bot.core.telemetry import Telemetry

#: Guilds on shards 0, 1, 0, 1 of 2 (the shard is the id's time bits mod 2).
GUILDS = [(1000 + i) << 22 for i in range(4)]


class Host:
    """The JobHost: records which jobs it was asked to adopt, and why."""

    def __init__(self) -> None:
        self.adopted: list[tuple[str, AdoptReason]] = []

    async def adopt(self, job: Job, request: JobRequest, reason: AdoptReason) -> Attachment:
        self.adopted.append((job.id, reason))
        return Attachment()


class Tickets:
    async def ticket(self, job_id: str) -> None:
        return None


async def _queue_jobs(store: Store) -> dict[int | None, str]:
    """One queued job per guild and one in a DM; job id by guild (None: the DM)."""
    ids: dict[int | None, str] = {}
    for user, guild in enumerate([*GUILDS, None]):
        job = await store.queue.enqueue(JobRequest(url=f"https://example.com/{user}.jpg",
                                                   user_id=user + 1, guild_id=guild,
                                                   channel_id=7))  # fmt: skip
        ids[guild] = job.id
    return ids


async def _start(settings: BossSettings, store: Store, host: Host, **options: Any) -> Pipeline:
    pipeline = Pipeline(settings, DownloadManager(settings), store, bus=EventBus(),
                        telemetry=Telemetry(), host=host, **options)  # fmt: skip
    await pipeline.start()
    return pipeline


async def _adopted(pipeline: Pipeline, host: Host) -> set[str]:
    """The jobs the host was asked about: every adoption task is made by ``start()``, so
    waiting for those (bounded) is waiting for all of them."""
    tasks = [h.adoption for h in pipeline.held.live.values() if h.adoption is not None]
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert {reason for _, reason in host.adopted} <= {"restart"}
    return {job_id for job_id, _ in host.adopted}


def _owned(ids: dict[int | None, str], shard: int) -> set[str]:
    return {job_id for guild, job_id in ids.items() if shard_of(guild, 2) == shard}


async def test_each_dispatcher_adopts_the_queued_jobs_of_its_own_shards(
    store: Store, store_settings: BossSettings
) -> None:
    assert [shard_of(g, 2) for g in GUILDS] == [0, 1, 0, 1]
    ids = await _queue_jobs(store)
    made: list[Pipeline] = []
    try:
        for shard in (0, 1):
            host = Host()
            owns = ShardSet((shard,), 2).owns
            pipeline = await _start(store_settings, store, host, role="dispatcher",
                                    dispatch=Tickets(), owns=owns)  # fmt: skip
            made.append(pipeline)
            expected = _owned(ids, shard)
            assert await _adopted(pipeline, host) == expected
            assert set(pipeline.held.live) == expected
        assert ids[None] in _owned(ids, 0)  # the DM went to shard 0's process
    finally:
        for pipeline in made:
            await pipeline.close()


async def test_a_dispatcher_with_every_shard_adopts_every_queued_job_not_a_running_one(
    store: Store, store_settings: BossSettings
) -> None:
    ids = await _queue_jobs(store)
    running = await store.queue.claim(ids[GUILDS[1]], owner="w:1:aa", lease_seconds=30)
    assert running is not None and running.status == "running"
    host = Host()
    pipeline = await _start(store_settings, store, host, role="dispatcher", dispatch=Tickets())
    try:
        assert await _adopted(pipeline, host) == set(ids.values()) - {running.id}
    finally:
        await pipeline.close()


async def test_embedded_restart_goes_through_the_same_filter(
    store: Store, store_settings: BossSettings
) -> None:
    """Embedded mode runs every shard (the settings refuse a subset), so it adopts all; the
    filter still applies when given one."""
    ids = await _queue_jobs(store)
    host = Host()
    pipeline = Pipeline(store_settings, DownloadManager(store_settings), store, bus=EventBus(),
                        telemetry=Telemetry(), host=host, owns=ShardSet((1,), 2).owns)  # fmt: skip
    pipeline.scheduler.closing = True  # adoption only: nothing is claimed and run here
    try:
        await pipeline.start()
        assert await _adopted(pipeline, host) == _owned(ids, 1)
    finally:
        await pipeline.close()
