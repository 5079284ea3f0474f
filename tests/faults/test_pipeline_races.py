"""A race the load bench (bench/load.py) found (fixed in Pipeline._watch, kept as a test): a job submitted while the pipeline's watcher is
reading job statuses from the database is taken for a job deleted or cancelled elsewhere, and
stopped before it ever ran ("job … is None in the database: stopping it here"). Its user reads
"🚫 Cancelled"; the row is still queued, so it then runs anyway, under the same status message.

The database read is held open here (a real SQLite queue, with ``statuses`` made to wait) so the
submit lands inside it every time, instead of by chance under load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from boss_bot.core.events import EventBus
from boss_bot.core.jobs import JobQueue
from boss_bot.core.manager import DownloadManager
from boss_bot.core.pipeline import Attachment, Pipeline
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store
from boss_bot.core.telemetry import Telemetry
from boss_bot.core.workers.pool import WorkerPool
from tests.bot.pipeline_support import RecordingUploader, request
from tests.support.media_server import MediaServer


class HeldStatuses:
    """The store's queue, except that one ``statuses`` read, once armed, waits to return."""

    def __init__(self, inner: JobQueue) -> None:
        self._inner = inner
        self.armed = False
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def statuses(self, job_ids: Sequence[str]) -> dict[str, str]:
        found = await self._inner.statuses(job_ids)
        if self.armed:
            self.armed = False
            self.entered.set()
            await asyncio.wait_for(self.release.wait(), 30)
        return found


async def test_a_job_submitted_while_the_watcher_reads_the_database_still_runs(
    make_settings: Callable[..., BossSettings],
    worker_pool: WorkerPool,
    media_server: MediaServer,
) -> None:
    settings = make_settings()
    store = await open_store(settings)
    queue = HeldStatuses(store.queue)
    pipeline = Pipeline(settings, DownloadManager(settings, pool=worker_pool), store,
                        bus=EventBus(), telemetry=Telemetry(),
                        queue=queue)  # type: ignore[arg-type]  # fmt: skip
    uploader = RecordingUploader(10 * 2**20)
    try:
        await pipeline.start()
        # A job in flight, so the watcher has something to look at about once a second.
        first = await pipeline.submit(
            request(media_server.url("slow/clip.mp4")), attachment=Attachment(uploader)
        )
        queue.armed = True
        await asyncio.wait_for(queue.entered.wait(), 10)  # the watcher is reading statuses
        second = await pipeline.submit(
            request(media_server.url("photo.jpg"), user=2), attachment=Attachment(uploader)
        )
        outcome = asyncio.ensure_future(pipeline.wait(second.id))  # type: ignore[union-attr]
        queue.release.set()
        result = await asyncio.wait_for(outcome, 30)
        assert result.outcome == "done", result
        assert (await asyncio.wait_for(pipeline.wait(first.id), 30)).outcome == "done"  # type: ignore[union-attr]
    finally:
        await pipeline.close()
        await store.close()
