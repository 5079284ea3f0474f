"""A small stand-in for the bot's dispatcher, for the HTTP tests.

It does what the dispatcher does with a ``download-only`` job, with the real parts: claims the
job from the store's queue, runs a real :class:`DownloadManager` download (warm workers, the
local media server), publishes each ProgressEvent and the final state to the event bus,
records the files and the metrics row, feeds the Prometheus telemetry, and logs inside
:func:`job_context`. Only the archive layout and the compression/upload stages (which a
download-only job does not have) are simplified.
"""

from __future__ import annotations

import logging
import time

from boss_bot.core.errors import BossBotError
from boss_bot.core.events import EventBus
from boss_bot.core.logs import job_context, set_stage
from boss_bot.core.manager import DownloadManager
from boss_bot.core.store import Job, Store, StoredFile, request_of
from boss_bot.core.store.metrics import SUCCESS, JobMetrics
from boss_bot.core.telemetry import Telemetry

log = logging.getLogger("tests.http.runner")


class MiniDispatcher:
    def __init__(
        self, store: Store, manager: DownloadManager, bus: EventBus, telemetry: Telemetry
    ) -> None:
        self.store = store
        self.manager = manager
        self.bus = bus
        self.telemetry = telemetry

    async def run(self, job_id: str) -> Job:
        job = await self.store.queue.claim(job_id)
        assert job is not None, f"job {job_id} is not queued"
        with job_context(job.id, guild_id=job.guild_id, platform=job.platform, stage="starting"):
            return await self._run(job)

    async def _run(self, job: Job) -> Job:
        request = request_of(job)
        set_stage("downloading")
        await self.store.queue.set_stage(job.id, "downloading")
        self.bus.stage(job.id, "downloading")
        log.info("downloading %s", job.url)
        started = time.monotonic()
        method, size, outcome = None, 0, SUCCESS
        try:
            with self.telemetry.active_download():
                meta = await self.manager.download(
                    job.url,
                    dest=self.manager.settings.download_dir / job.platform,
                    options=request.options,
                    on_progress=lambda event: self.bus.progress(job.id, event),
                )
            method, size = meta.download_method, meta.size_bytes
            await self.store.history.add_files(
                job.id,
                [
                    StoredFile(path=str(f.path), size_bytes=f.size_bytes,
                               mime_type=f.mime_type, archived=True)
                    for f in meta.files
                ],
            )  # fmt: skip
            final = await self.store.queue.complete(job.id)
            log.info("archived %d file(s)", len(meta.files))
        except BossBotError as exc:
            outcome = exc.code
            final = await self.store.queue.fail(job.id, exc.code, exc.user_message)
            log.warning("failed: %s", exc.code)
        metrics = JobMetrics(
            job_id=job.id, platform=job.platform, outcome=outcome, method=method,
            download_seconds=time.monotonic() - started, bytes_downloaded=size,
        )  # fmt: skip
        await self.store.metrics.record(metrics)
        self.telemetry.observe_job(metrics)
        assert final is not None
        self.bus.final(job.id, final.status)
        return final
