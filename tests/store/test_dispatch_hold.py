"""A dispatcher's job is not claimed before the bot has noted its status message.

Found by ``bench/scale.py``: a worker's ticket claims the *fair next* job, not its own, so a
worker could take a job the bot had just enqueued, before the bot recorded its status message,
and post a second one (the bot's stayed at "⏳ Queued"). The job now waits as ``preparing``
until :meth:`Pipeline.dispatch`; on SQLite and PostgreSQL (tests/store/conftest.py)."""

from __future__ import annotations

import time

from sqlalchemy import update

from boss_bot.core.events import EventBus
from boss_bot.core.jobs import Job, JobRequest
from boss_bot.core.manager import DownloadManager
from boss_bot.core.pipeline import Attachment, Pipeline
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store
from boss_bot.core.store.schema import JobRow
from boss_bot.core.telemetry import Telemetry


class Tickets:
    """The arq side of a dispatcher: records the tickets sent."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def ticket(self, job_id: str) -> None:
        self.sent.append(job_id)


def _pipeline(settings: BossSettings, store: Store, **options: object) -> Pipeline:
    return Pipeline(settings, DownloadManager(settings), store, bus=EventBus(),
                    telemetry=Telemetry(), **options)  # type: ignore[arg-type]  # fmt: skip


def _request(user: int) -> JobRequest:
    return JobRequest(url=f"https://example.com/{user}.jpg", user_id=user, channel_id=7,
                      upload=False)  # fmt: skip


async def test_a_dispatched_job_waits_for_its_host_before_a_worker_may_claim_it(
    store: Store, store_settings: BossSettings
) -> None:
    tickets = Tickets()
    pipeline = _pipeline(store_settings, store, role="dispatcher", dispatch=tickets)
    pipeline.scheduler.closing = True  # the dispatcher's own pump plays no part here
    try:
        job = await pipeline.submit(_request(1), attachment=Attachment(), dispatch=False)
        assert isinstance(job, Job) and job.stage == "preparing" and tickets.sent == []
        # A worker running a ticket sent for some other job: the fair pick passes it over.
        assert await store.queue.claim(owner="w:1:aa", lease_seconds=30) is None
        assert await store.queue.position(job.id) == 1  # the user still sees its place
        await pipeline.note_status_message(job.id, 4242)
        await pipeline.dispatch(job.id)
        assert tickets.sent == [job.id]
        taken = await store.queue.claim(owner="w:1:aa", lease_seconds=30)
        assert taken is not None and taken.id == job.id and taken.status_message_id == 4242
    finally:
        await pipeline.close()


async def test_a_job_submitted_and_dispatched_at_once_is_claimable(
    store: Store, store_settings: BossSettings
) -> None:
    """The default path (no status message to note first) and embedded mode hold nothing."""
    dispatcher = _pipeline(store_settings, store, role="dispatcher", dispatch=Tickets())
    dispatcher.scheduler.closing = True
    embedded = _pipeline(store_settings, store)
    embedded.scheduler.closing = True
    try:
        first = await dispatcher.submit(_request(1), attachment=Attachment())
        second = await embedded.submit(_request(2), attachment=Attachment(), dispatch=False)
        for job in (first, second):
            assert (await store.queue.get(job.id)).stage == "queued"  # type: ignore[union-attr]
    finally:
        await dispatcher.close()
        await embedded.close()


async def test_a_job_its_dispatcher_abandoned_is_opened_after_the_grace(
    store: Store, store_settings: BossSettings
) -> None:
    """The bot died between enqueueing and dispatching: a worker's scheduler opens the job to
    claims once it is older than the grace (the worker then posts its own status message)."""
    dispatcher = _pipeline(store_settings, store, role="dispatcher", dispatch=Tickets())
    dispatcher.scheduler.closing = True
    worker = _pipeline(store_settings, store, role="worker", owner="w:1:aa")
    try:
        job = await dispatcher.submit(_request(1), attachment=Attachment(), dispatch=False)
        await worker.scheduler.open_abandoned()
        assert await store.queue.claim(owner="w:1:aa", lease_seconds=30) is None  # still young
        async with store.queue._sessions.begin() as s:
            await s.execute(update(JobRow).where(JobRow.id == job.id)  # type: ignore[union-attr]
                            .values(created_at=time.time() - 3600))  # fmt: skip
        await worker.scheduler.open_abandoned()
        taken = await store.queue.claim(owner="w:1:aa", lease_seconds=30)
        assert taken is not None and taken.id == job.id  # type: ignore[union-attr]
    finally:
        await dispatcher.close()
        await worker.close()
