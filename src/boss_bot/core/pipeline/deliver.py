"""Posting a job's files: fit them to the limit, plan the messages, send, record.

::

    limit (learnt per guild) ─► skip what an earlier run posted ─► fit ─► plan ─► send each
        batch (recorded before the next) ─► history entry for dedup
            └─ 413: lower the learnt limit, refit what is left, send again (once)

* **Never twice.** Files posted by an earlier run of the job (a crash, another worker, a
  retry) are skipped; each batch carries a nonce from the job and its files, so Discord drops
  a repeat of a send whose answer was lost.
* **A 413** (Discord refusing a file its server tier should allow) lowers the guild's learnt
  limit, persisted, so later jobs fit to it at once; the rest is refitted and sent again, once.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from boss_bot.core.errors import UploadTooLargeError
from boss_bot.core.jobs import UPLOADING
from boss_bot.core.pipeline.context import JobRun
from boss_bot.core.pipeline.fit import Fitter
from boss_bot.core.pipeline.plan import batch_nonce, plan_messages
from boss_bot.core.pipeline.records import stored_files
from boss_bot.core.pipeline.types import FileReport, OutFile, Stage, UploadBatch, Uploader

if TYPE_CHECKING:
    from boss_bot.core.jobs import JobQueue, LimitBook
    from boss_bot.core.models import MediaMetadata
    from boss_bot.core.settings import BossSettings
    from boss_bot.core.store.history import History
    from boss_bot.core.telemetry import Telemetry

log = logging.getLogger(__name__)


class Deliverer:
    """Posts one job's files through its :class:`Uploader`; see the module docstring."""

    def __init__(
        self,
        settings: BossSettings,
        queue: JobQueue,
        history: History,
        limits: LimitBook,
        fitter: Fitter,
        telemetry: Telemetry,
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.history = history
        self.limits = limits
        self.fitter = fitter
        self.telemetry = telemetry

    async def deliver(self, run: JobRun, meta: MediaMetadata, uploader: Uploader) -> None:
        job, result = run.job, run.result
        limit = await self.limits.effective(job.guild_id, uploader.file_limit)
        reports: dict[Path, FileReport] = {}
        if len(meta.files) == 1:
            data = meta.platform_data or {}
            width, height = _opt_int(data.get("width")), _opt_int(data.get("height"))
            run.dims[meta.files[0].path] = (width, height, meta.duration)
        posted_names = await self._resume(run)
        outs = [OutFile(f.path, f.size_bytes, f.path) for f in meta.files
                if f.path.name not in posted_names]  # fmt: skip
        pending = await self.fitter.fit(run, outs, limit, reports)
        if posted_names:
            skipped = [f for f in pending if f.name in posted_names]
            pending = [f for f in pending if f.name not in posted_names]
            log.info("job %s: %d file(s) were posted by an earlier run; %d left (%d skipped)",
                     job.id, result.posted, len(pending), len(skipped))  # fmt: skip
        retried = False
        while pending:
            try:
                pending = await self._send(run, meta, pending, limit, uploader, reports)
            except _Refused as refused:
                if retried:
                    raise UploadTooLargeError(
                        f"refused again at a limit of {limit} B: {refused.error}",
                        user_message="Discord refused the files as too large even after I "
                        f"shrank them to {_mib(limit)}; this server's real upload limit is "
                        "lower than it says.",
                    ) from refused.error
                retried = True
                self.telemetry.upload_too_large()
                self.telemetry.discord_retry("too_large")
                limit = await self.limits.lower(job.guild_id, refused.size, limit)
                run.emit(Stage("compressing", job.id, note=f"retrying at {_mib(limit)}"))
                pending = await self.fitter.fit(run, refused.pending, limit, reports)
        if run.linked:
            await self._send_links(run, meta, uploader, reports)
        result.files = list(reports.values())
        result.limit_bytes = limit
        if result.messages:
            await self.history.record_post(
                run.request.media_key, job.guild_id, job.id, result.jump_url
            )

    async def _resume(self, run: JobRun) -> set[str]:
        """What an earlier run of this job posted (counted in the result): names to skip."""
        earlier = [f for f in await self.history.files(run.job_id) if f.message_id is not None]
        if earlier:
            run.result.messages = max(run.job.posted_batches, len({f.message_id for f in earlier}))
            run.result.jump_url = earlier[0].jump_url
            run.result.posted += len(earlier)
        return {Path(f.path).name for f in earlier}

    async def _send(
        self,
        run: JobRun,
        meta: MediaMetadata,
        pending: list[OutFile],
        limit: int,
        uploader: Uploader,
        reports: dict[Path, FileReport],
    ) -> list[OutFile]:
        """Plan ``pending`` into messages and send them in order, recording each; returns
        nothing left, or raises :class:`_Refused` with what is still to send after a 413."""
        job, result = run.job, run.result
        batches = plan_messages(
            pending,
            limit=limit,
            one_per_message=run.request.one_file_per_message,
            max_files=self.settings.upload_max_files_per_batch,
            max_bytes=self.settings.upload_batch_size_bytes,
        )
        # A message of links (files kept because they could not fit) comes last.
        total = result.messages + len(batches) + (1 if run.linked else 0)
        for batch in batches:
            index = result.messages + 1
            await self.queue.set_stage(job.id, f"uploading {index}/{total}", status=UPLOADING)
            run.emit(Stage("uploading", job.id, batch=index, batches=total))
            sent_at = time.monotonic()
            try:
                posted = await uploader.send(
                    UploadBatch(index, total, tuple(batch), meta.url, meta.title,
                                nonce=batch_nonce(job.id, batch), job_id=job.id,
                                spoiler=result.spoilered)
                )  # fmt: skip
            except UploadTooLargeError as exc:
                raise _Refused(exc, max(f.size_bytes for f in batch), pending) from exc
            run.meter.uploaded(sum(f.size_bytes for f in batch), time.monotonic() - sent_at)
            result.messages += 1
            result.posted += len(batch)
            if posted is not None and result.jump_url is None:
                result.jump_url = posted.jump_url
            await self.history.add_files(
                job.id, await stored_files(batch, posted, reports, run.dims)
            )
            await self.queue.set_stage(job.id, posted_batches=result.messages)
            sent = {f.path for f in batch}
            pending = [f for f in pending if f.path not in sent]
        return pending

    async def _send_links(
        self,
        run: JobRun,
        meta: MediaMetadata,
        uploader: Uploader,
        reports: dict[Path, FileReport],
    ) -> None:
        """The links to the files kept because they could not be posted, in one last
        message (Discord plays a direct mp4 or image link inline)."""
        job, result = run.job, run.result
        index = result.messages + 1
        links = tuple((k.name, k.url, k.size_bytes) for k in run.linked)
        await self.queue.set_stage(job.id, f"uploading {index}/{index}", status=UPLOADING)
        run.emit(Stage("uploading", job.id, batch=index, batches=index))
        posted = await uploader.send(
            UploadBatch(index, index, (), meta.url, meta.title, job_id=job.id, links=links,
                        nonce=batch_nonce(job.id, [OutFile(k.path, 0, k.path)
                                                   for k in run.linked]))
        )  # fmt: skip
        result.messages += 1
        result.posted += len(run.linked)
        if posted is not None and result.jump_url is None:
            result.jump_url = posted.jump_url
        files = [OutFile(k.path, k.size_bytes, k.path) for k in run.linked]
        await self.history.add_files(job.id, await stored_files(files, posted, reports, run.dims))
        await self.queue.set_stage(job.id, posted_batches=result.messages)


class _Refused(Exception):
    """A batch was refused as too large: the error, the largest file in it, what is left."""

    def __init__(self, error: UploadTooLargeError, size: int, pending: list[OutFile]) -> None:
        super().__init__(str(error))
        self.error = error
        self.size = size
        self.pending = pending


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


__all__ = ["Deliverer"]
