"""A job's first steps: download its link, screen what came, or keep the files.

:func:`download` runs the :class:`DownloadManager` with the job's options and relays its
progress, as stages for the status message and as progress events for the bus (SSE).
:func:`screen` records whether the media is marked sensitive and applies the rule the edge
chose for where it will be posted (post, spoiler, or refuse). :func:`keep` moves downloaded
files into the archive (``download-only``, or a failed upload), deduplicated by sha256.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from boss_bot.core.errors import SensitiveMediaError
from boss_bot.core.logs import set_stage as set_log_stage
from boss_bot.core.models import STATUS_DOWNLOADING, MediaMetadata, ProgressEvent
from boss_bot.core.pipeline.context import JobRun
from boss_bot.core.pipeline.types import FileReport, Stage

if TYPE_CHECKING:
    from boss_bot.core.archive import Archive
    from boss_bot.core.events import EventBus
    from boss_bot.core.jobs import JobQueue
    from boss_bot.core.manager import DownloadManager
    from boss_bot.core.telemetry import Telemetry
    from boss_bot.core.tools.fallback import ToolAttempt


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
    tried: list[ToolAttempt] = []  # each tool's try: the metrics row says which served or failed
    try:
        with telemetry.active_download():
            meta = await manager.download(
                run.request.url, dest=run.work, options=run.request.options, on_progress=relay,
                attempts=tried,
            )  # fmt: skip
    finally:
        run.meter.download_seconds = time.monotonic() - started
        run.meter.tools_tried(tried)
    run.meter.method = meta.download_method
    run.meter.bytes_downloaded = meta.size_bytes
    return meta


#: What a person reads when sensitive media is kept out of a channel.
SENSITIVE_BLOCKED = "That media is marked as sensitive: ask in an age-restricted channel."


async def screen(run: JobRun, meta: MediaMetadata, queue: JobQueue) -> None:
    """Record whether the media is marked sensitive; for a post, decide the spoilers or refuse.

    Raises :class:`SensitiveMediaError` when the request said ``block`` (its files are then
    removed with the job's directory, never kept). Archive-only requests are only recorded.
    """
    result, request = run.result, run.request
    result.sensitive = meta.sensitive
    await queue.set_stage(run.job_id, sensitive=meta.sensitive)
    if not request.upload:
        return
    if meta.sensitive and request.on_sensitive == "block":
        raise SensitiveMediaError(
            f"job {run.job_id}: sensitive media, blocked here", user_message=SENSITIVE_BLOCKED
        )
    result.spoilered = request.spoiler or (meta.sensitive and request.on_sensitive == "spoiler")


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


__all__ = ["SENSITIVE_BLOCKED", "download", "keep", "screen"]
