"""A job's first steps: download its link into the job's directory, or keep the files.

:func:`download` runs the :class:`DownloadManager` with the job's options and relays its
progress, as stages for the status message and as progress events for the bus (SSE).
:func:`keep` moves downloaded files into the archive (``download-only``, or a failed upload),
deduplicated by sha256.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from boss_bot.core.logs import set_stage as set_log_stage
from boss_bot.core.models import STATUS_DOWNLOADING, MediaMetadata, ProgressEvent
from boss_bot.core.pipeline.context import JobRun
from boss_bot.core.pipeline.types import FileReport, Stage

if TYPE_CHECKING:
    from boss_bot.core.archive import Archive
    from boss_bot.core.events import EventBus
    from boss_bot.core.manager import DownloadManager
    from boss_bot.core.telemetry import Telemetry


async def download(
    run: JobRun, manager: DownloadManager, bus: EventBus, telemetry: Telemetry
) -> MediaMetadata:
    """The job's link, downloaded into ``run.work``; its time and bytes go to the meter."""
    job_id = run.job_id
    run.emit(Stage("downloading", job_id))

    def relay(event: ProgressEvent) -> None:
        bus.progress(job_id, event)
        if event.status == STATUS_DOWNLOADING:
            run.emit(
                Stage(
                    "downloading",
                    job_id,
                    done_bytes=event.downloaded_bytes,
                    total_bytes=event.total_bytes,
                    speed=event.speed,
                    filename=event.filename,
                )
            )

    started = time.monotonic()
    set_log_stage("downloading")
    try:
        with telemetry.active_download():
            meta = await manager.download(
                run.request.url, dest=run.work, options=run.request.options, on_progress=relay
            )
    finally:
        run.meter.download_seconds = time.monotonic() - started
    run.meter.method = meta.download_method
    run.meter.bytes_downloaded = meta.size_bytes
    return meta


async def keep(run: JobRun, meta: MediaMetadata, archive: Archive) -> None:
    """Move the downloaded files into the archive (deduplicated) and say where."""
    result = run.result
    archived = await archive.store(meta, run.job_id)
    result.saved_files = [a.path for a in archived]
    result.duplicates = sum(1 for a in archived if a.duplicate)
    result.saved_to = archived[0].path.parent if archived else None
    if not result.files:
        result.files = [FileReport(a.path.name, a.size_bytes, a.size_bytes, "unchanged")
                        for a in archived]  # fmt: skip


__all__ = ["download", "keep"]
