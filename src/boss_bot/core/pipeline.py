"""The request pipeline: one link in, files posted (or archived), a summary out. No Discord here.

::

    submit ─► queued(position) ─► downloading(bytes/total/speed) ─► compressing(percent)
           ─► uploading(batch i of n) ─► done            (or failed / cancelled at any point)

* **Queue.** At most ``MAX_CONCURRENT_DOWNLOADS`` jobs download at once; the others wait in
  FIFO order and hear their position whenever it changes. Compression has its own slots and
  uploads need none, so a slow upload never holds a download slot.
* **Fit.** Every file over the destination's per-file limit (and over ``UPLOAD_BATCH_SIZE_MB``
  when set) is compressed to fit, split into parts when ``UPLOAD_ALLOW_SPLIT`` is on.
* **Batches.** :func:`~boss_bot.core.upload.plan_batches` packs the files into the fewest
  messages; the bot layer's :class:`Uploader` sends each one.
* **413 / 40005.** The real limit is lower than advertised: the pipeline records a lower limit
  for that destination (:class:`LimitBook`, used by every later job there too), recompresses
  the files not yet posted to it and retries once; a second refusal fails the job clearly.
* **Files.** The request directory is deleted only after every file was posted (and only with
  ``UPLOAD_CLEANUP_AFTER_SUCCESS``). When an upload fails, the downloaded files are moved into
  the archive (``DOWNLOAD_DIR/<platform>/``) and the result says where. ``download-only`` jobs
  move their files there directly. A cancelled or failed download leaves nothing behind.

Cancelling a job (:meth:`Pipeline.cancel`) cancels its task: the download manager kills the
tool's processes and removes partial files, compression removes its temp files, and the pipeline
removes the request directory. The job registry and the metrics recorder are interfaces
(:mod:`boss_bot.core.jobs`), so later issues can persist and distribute them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, Protocol

from boss_bot.core import paths
from boss_bot.core.compression import compress_to_fit
from boss_bot.core.errors import BossBotError, InvalidURLError, UnsupportedURLError
from boss_bot.core.jobs.metrics import SUCCESS, DownloadRecord, InMemoryMetrics, MetricsRecorder
from boss_bot.core.jobs.registry import InMemoryJobRegistry, Job, JobRegistry, JobSpec, JobState
from boss_bot.core.manager import DownloadManager
from boss_bot.core.models import (
    STATUS_COMPRESSING,
    STATUS_DOWNLOADING,
    DownloadOptions,
    MediaFile,
    MediaMetadata,
    ProgressEvent,
)
from boss_bot.core.settings import BossSettings
from boss_bot.core.strategies import strategy_for
from boss_bot.core.upload.limits import (
    DM_FILE_LIMIT,
    FILE_LIMIT_BY_PREMIUM_TIER,
    MAX_ATTACHMENTS_PER_MESSAGE,
)
from boss_bot.core.upload.planner import plan_batches

log = logging.getLogger(__name__)

StageName = Literal[
    "queued", "downloading", "compressing", "uploading", "done", "failed", "cancelled"
]
Outcome = Literal["done", "failed", "cancelled"]
#: Limits a learnt limit steps down through before it guesses (the ones Discord advertises).
_KNOWN_LIMITS = sorted({*FILE_LIMIT_BY_PREMIUM_TIER.values(), DM_FILE_LIMIT})
#: Finished jobs whose result can still be awaited with :meth:`Pipeline.wait`.
_KEEP_RESULTS = 256


# --- errors ---------------------------------------------------------------------------------


class UploadError(BossBotError):
    """Posting a batch failed for a reason other than its size (permissions, Discord down)."""

    code = "upload_failed"


class UploadTooLargeError(UploadError):
    """The destination refused a batch as too large (HTTP 413 / JSON code 40005)."""

    code = "upload_too_large"


# --- what flows in and out ------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One status change, for the status message. Fields not relevant to ``name`` are None."""

    name: StageName
    job_id: str
    position: int | None = None
    done_bytes: int | None = None
    total_bytes: int | None = None
    speed: float | None = None
    percent: float | None = None
    filename: str | None = None
    batch: int | None = None
    batches: int | None = None
    note: str | None = None


StageCallback = Callable[[Stage], None]
"""Called on the event loop for each stage change; must not block (the bot throttles edits)."""


@dataclass(frozen=True)
class OutFile:
    """A file ready to post (a :class:`~boss_bot.core.upload.planner.SizedFile`)."""

    path: Path
    size_bytes: int
    #: The downloaded file this came from (itself when posted unchanged).
    source: Path
    part: int | None = None
    parts: int | None = None

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class UploadBatch:
    """One message to send: the files in post order and where it sits among the messages."""

    index: int  # 1-based
    total: int
    files: tuple[OutFile, ...]
    url: str
    title: str | None


class Uploader(Protocol):
    """The bot layer's half of an upload: the destination's limit and a way to post a batch.

    ``send`` raises :class:`UploadTooLargeError` for a 413 / 40005 and :class:`UploadError` for
    other refusals; rate limits and 5xx are the Discord library's to retry, not the pipeline's.
    """

    @property
    def file_limit(self) -> int:
        """The advertised per-file limit in bytes for this destination."""
        ...

    @property
    def limit_key(self) -> str | None:
        """Which destination a learnt lower limit belongs to (a guild); None: don't learn."""
        ...

    async def send(self, batch: UploadBatch) -> None: ...


@dataclass(frozen=True)
class FileReport:
    """What happened to one downloaded file on its way out."""

    name: str
    original_bytes: int
    final_bytes: int
    method: str  # "unchanged" or the compressor's method
    parts: int = 1

    @property
    def compressed(self) -> bool:
        return self.method != "unchanged"


@dataclass
class JobResult:
    """The outcome of one job, for the summary reply."""

    job: Job
    outcome: Outcome
    metadata: MediaMetadata | None = None
    files: list[FileReport] = field(default_factory=list)
    posted: int = 0  # files posted
    messages: int = 0  # messages sent
    seconds: float = 0.0
    #: Where the files are when they were kept (download-only, failed upload, no cleanup).
    saved_to: Path | None = None
    saved_files: list[Path] = field(default_factory=list)
    error: BossBotError | None = None
    limit_bytes: int | None = None  # the per-file limit the files were fitted to


@dataclass(frozen=True)
class JobRequest:
    """A job to run: who asked for what, and how."""

    spec: JobSpec
    options: DownloadOptions = field(default_factory=DownloadOptions)
    upload: bool = True
    #: Post each file in its own message(s) (playlists: one video per message).
    one_file_per_message: bool = False


# --- learnt limits --------------------------------------------------------------------------


class LimitBook:
    """Per-destination per-file limits learnt from 413s (lower than advertised)."""

    def __init__(self) -> None:
        self._learnt: dict[str, int] = {}

    def effective(self, key: str | None, advertised: int) -> int:
        learnt = self._learnt.get(key) if key is not None else None
        return advertised if learnt is None else min(advertised, learnt)

    def lower(self, key: str | None, rejected_bytes: int, current: int) -> int:
        """Record (and return) a limit below a refused file of ``rejected_bytes``.

        The refusal does not say the real limit, so take the largest limit Discord has used
        that is below both the refused file and the current limit, else 80 % of the smaller.
        """
        ceiling = min(rejected_bytes, current)
        below = [v for v in _KNOWN_LIMITS if v < ceiling]
        new = below[-1] if below else max(1, ceiling * 4 // 5)
        if key is not None:
            self._learnt[key] = min(new, self._learnt.get(key, new))
        log.warning("upload refused as too large at %d B: per-file limit for %s is now %d B",
                    rejected_bytes, key or "this destination", new)  # fmt: skip
        return new

    def learnt(self, key: str) -> int | None:
        return self._learnt.get(key)


# --- the pipeline ---------------------------------------------------------------------------


class Pipeline:
    """Runs jobs: see the module docstring. One per process, shared by every command."""

    def __init__(
        self,
        settings: BossSettings,
        manager: DownloadManager,
        *,
        registry: JobRegistry | None = None,
        metrics: MetricsRecorder | None = None,
    ) -> None:
        self.settings = settings
        self.manager = manager
        self.registry: JobRegistry = registry or InMemoryJobRegistry()
        self.metrics: MetricsRecorder = metrics or InMemoryMetrics()
        self.limits = LimitBook()
        self._slots = asyncio.Semaphore(settings.max_concurrent_downloads)
        self._tasks: dict[str, asyncio.Task[JobResult]] = {}
        self._finished: dict[str, asyncio.Task[JobResult]] = {}
        self._listeners: dict[str, StageCallback] = {}

    # -- public API --------------------------------------------------------------------------
    def submit(
        self,
        request: JobRequest,
        *,
        uploader: Uploader | None = None,
        on_stage: StageCallback | None = None,
    ) -> Job:
        """Queue a job and start its task; returns at once with the job (and its id)."""
        if request.upload and uploader is None:
            raise ValueError("an uploading job needs an uploader")
        job = self.registry.enqueue(request.spec)
        if on_stage is not None:
            self._listeners[job.id] = on_stage
        task = asyncio.create_task(self._execute(job, request, uploader), name=f"job-{job.id}")
        self._tasks[job.id] = task
        task.add_done_callback(lambda _t, job_id=job.id: self._forget(job_id))
        self._emit(Stage("queued", job.id, position=self.registry.position(job.id)))
        return job

    async def wait(self, job_id: str) -> JobResult:
        """The result of a submitted job (a cancelled job returns, it does not raise)."""
        task = self._tasks.get(job_id) or self._finished[job_id]
        result = await task
        self._finished.pop(job_id, None)
        return result

    async def run(
        self,
        request: JobRequest,
        *,
        uploader: Uploader | None = None,
        on_stage: StageCallback | None = None,
    ) -> JobResult:
        job = self.submit(request, uploader=uploader, on_stage=on_stage)
        return await self.wait(job.id)

    def cancel(self, job_id: str, *, by: int | None = None) -> Job | None:
        """Cancel a queued or running job: its processes are killed and its files removed."""
        job = self.registry.cancel(job_id, by=by)
        task = self._tasks.get(job_id)
        if task is not None and not task.done():
            task.cancel()
        return job

    def jobs(self, *, owner_id: int | None = None) -> list[Job]:
        """Active jobs (queued and running), oldest first."""
        return list(self.registry.list(owner_id=owner_id, active=True))

    def is_running(self, job_id: str) -> bool:
        task = self._tasks.get(job_id)
        return task is not None and not task.done()

    async def close(self) -> None:
        """Cancel every job and wait for their clean-up."""
        tasks = [t for t in self._tasks.values() if not t.done()]
        for job_id in list(self._tasks):
            self.cancel(job_id)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- one job -----------------------------------------------------------------------------
    async def _execute(self, job: Job, request: JobRequest, uploader: Uploader | None) -> JobResult:
        started = time.monotonic()
        result = JobResult(job=job, outcome="failed")
        work: Path | None = None
        try:
            async with self._slots:
                claimed = self.registry.claim(job.id)
                if claimed is None:  # cancelled while queued
                    raise asyncio.CancelledError
                self._announce_positions()
                meta = await self._download(job, request)
            result.metadata = meta
            work = self._request_dir(meta)
            if not request.upload:
                result.saved_files = self._archive(meta, work)
                result.saved_to = result.saved_files[0].parent if result.saved_files else None
                result.files = [FileReport(p.name, p.stat().st_size, p.stat().st_size,
                                           "unchanged") for p in result.saved_files]  # fmt: skip
                work = None
            else:
                assert uploader is not None
                await self._deliver(job, request, meta, work, uploader, result)
                if self.settings.upload_cleanup_after_success:
                    paths.remove_tree(work)
                else:
                    result.saved_to = work
                work = None
            result.outcome = "done"
            self.registry.complete(job.id)
        except asyncio.CancelledError:
            result.outcome = "cancelled"
            self.registry.cancel(job.id)
            log.info("job %s cancelled", job.id)
        except BossBotError as exc:
            result.error = exc
            if isinstance(exc, UploadError) and work is not None and result.metadata is not None:
                # Keep what was downloaded: move it into the archive and say where.
                result.saved_files = self._archive(result.metadata, work)
                result.saved_to = result.saved_files[0].parent if result.saved_files else None
                work = None
            self.registry.fail(job.id, exc.code, exc.user_message)
            log.warning("job %s failed: %s: %s", job.id, exc.code, exc)
        finally:
            if work is not None:
                paths.remove_tree(work)
            result.seconds = time.monotonic() - started
            result.job = self.registry.get(job.id) or job
        self._emit(Stage(result.outcome, job.id))
        return result

    async def _download(self, job: Job, request: JobRequest) -> MediaMetadata:
        self.registry.set_stage(job.id, "downloading")
        self._emit(Stage("downloading", job.id))

        def relay(event: ProgressEvent) -> None:
            if event.status == STATUS_DOWNLOADING:
                self._emit(
                    Stage(
                        "downloading",
                        job.id,
                        done_bytes=event.downloaded_bytes,
                        total_bytes=event.total_bytes,
                        speed=event.speed,
                        filename=event.filename,
                    )
                )

        started = time.monotonic()
        platform = _platform_of(job.url)
        try:
            meta = await self.manager.download(job.url, options=request.options, on_progress=relay)
        except asyncio.CancelledError:
            self._record(platform, "", started, 0, "cancelled")
            raise
        except (InvalidURLError, UnsupportedURLError):
            raise  # refused before any download: not a download metric
        except BossBotError as exc:
            self._record(platform, "", started, 0, exc.code)
            raise
        self._record(meta.platform, meta.download_method, started, meta.size_bytes, SUCCESS)
        return meta

    def _record(self, platform: str, method: str, started: float, size: int, outcome: str) -> None:
        self.metrics.record(
            DownloadRecord(
                platform=platform,
                method=method,
                seconds=time.monotonic() - started,
                bytes=size,
                outcome=outcome,
            )
        )

    async def _deliver(
        self,
        job: Job,
        request: JobRequest,
        meta: MediaMetadata,
        work: Path,
        uploader: Uploader,
        result: JobResult,
    ) -> None:
        key = uploader.limit_key
        limit = self.limits.effective(key, uploader.file_limit)
        reports: dict[Path, FileReport] = {}
        pending = await self._fit(job, [_as_out(f) for f in meta.files], limit, work, reports)
        retried = False
        while pending:
            batches = self._plan(pending, limit, request.one_file_per_message)
            total = result.messages + len(batches)
            try:
                for batch in batches:
                    index = result.messages + 1
                    self.registry.set_stage(job.id, f"uploading {index}/{total}")
                    self._emit(Stage("uploading", job.id, batch=index, batches=total))
                    await uploader.send(
                        UploadBatch(index, total, tuple(batch), meta.url, meta.title)
                    )
                    result.messages += 1
                    result.posted += len(batch)
                    sent = {f.path for f in batch}
                    pending = [f for f in pending if f.path not in sent]
            except UploadTooLargeError as exc:
                refused = max(f.size_bytes for f in batch)
                if retried:
                    raise UploadTooLargeError(
                        f"refused again at a limit of {limit} B: {exc}",
                        user_message="Discord refused the files as too large even after I "
                        f"shrank them to {_mib(limit)}; this server's real upload limit is "
                        "lower than it says.",
                    ) from exc
                retried = True
                limit = self.limits.lower(key, refused, limit)
                self._emit(Stage("compressing", job.id, note=f"retrying at {_mib(limit)}"))
                pending = await self._fit(job, pending, limit, work, reports)
        result.files = list(reports.values())
        result.limit_bytes = limit

    def _plan(
        self, files: list[OutFile], limit: int, one_per_message: bool
    ) -> list[tuple[OutFile, ...]]:
        per_message = min(self.settings.upload_max_files_per_batch, MAX_ATTACHMENTS_PER_MESSAGE)
        cap = self.settings.upload_batch_size_bytes
        groups: list[list[OutFile]] = []
        for f in files:  # one group per source when posting file by file (split parts stay)
            if one_per_message and groups and groups[-1][0].source == f.source:
                groups[-1].append(f)
            elif one_per_message or not groups:
                groups.append([f])
            else:
                groups[-1].append(f)
        return [
            batch
            for group in groups
            for batch in plan_batches(
                group,
                max_files_per_message=per_message,
                max_bytes_per_message=cap,
                max_bytes_per_file=limit,
            )
        ]

    async def _fit(
        self,
        job: Job,
        files: Sequence[OutFile],
        limit: int,
        work: Path,
        reports: dict[Path, FileReport],
    ) -> list[OutFile]:
        """Every file under ``limit`` (and the per-message cap): compressed or split if not."""
        cap = self.settings.upload_batch_size_bytes
        target = min(limit, cap) if cap else limit
        out: list[OutFile] = []
        for f in files:
            reports.setdefault(
                f.source, FileReport(f.source.name, f.size_bytes, f.size_bytes, "unchanged")
            )
            if f.size_bytes <= target:
                out.append(f)
                continue
            # Whole files are re-encoded from the download (best quality); parts from themselves.
            src = f.source if f.part is None and f.source.exists() else f.path
            self.registry.set_stage(job.id, "compressing")
            self._emit(Stage("compressing", job.id, percent=0.0, filename=src.name))

            def relay(event: ProgressEvent, name: str = src.name) -> None:
                if event.status == STATUS_COMPRESSING and event.fraction is not None:
                    self._emit(
                        Stage("compressing", job.id, percent=event.fraction * 100, filename=name)
                    )

            fitted = await compress_to_fit(
                src,
                target,
                dest_dir=work / f".fit-{target}",
                settings=self.settings,
                on_progress=relay,
                allow_split=self.settings.upload_allow_split,
            )
            n = len(fitted.paths)
            for i, p in enumerate(fitted.paths, 1):
                out.append(
                    OutFile(
                        p,
                        p.stat().st_size,
                        f.source,
                        part=i if n > 1 else f.part,
                        parts=n if n > 1 else f.parts,
                    )
                )
            old = reports[f.source]
            produced = [o for o in out if o.source == f.source]
            reports[f.source] = replace(
                old,
                final_bytes=sum(o.size_bytes for o in produced),
                method=fitted.method,
                parts=max(n, len(produced)),
            )
        return out

    # -- files -------------------------------------------------------------------------------
    def _request_dir(self, meta: MediaMetadata) -> Path:
        """The request directory the manager made for this download (below requests_dir)."""
        root = self.settings.requests_dir.resolve()
        first = meta.files[0].path.resolve()
        return root / first.relative_to(root).parts[0]

    def _archive(self, meta: MediaMetadata, work: Path) -> list[Path]:
        """Move the downloaded files into ``DOWNLOAD_DIR/<platform>/`` (unique names)."""
        dest = self.settings.download_dir / paths.sanitize_filename(meta.platform, fallback="media")
        dest.mkdir(parents=True, exist_ok=True)
        saved: list[Path] = []
        for f in meta.files:
            if not f.path.exists():
                continue
            target = dest / f.filename
            n = 1
            while target.exists():
                target = dest / f"{Path(f.filename).stem}-{n}{Path(f.filename).suffix}"
                n += 1
            os.replace(f.path, target)
            saved.append(target.resolve())
        paths.remove_tree(work)
        return saved

    # -- stages ------------------------------------------------------------------------------
    def _emit(self, stage: Stage) -> None:
        listener = self._listeners.get(stage.job_id)
        if listener is None:
            return
        try:
            listener(stage)
        except Exception:  # a broken status message must not break the job
            log.exception("stage listener for job %s failed", stage.job_id)

    def _announce_positions(self) -> None:
        for job in self.registry.list(active=True):
            if job.state is JobState.QUEUED and job.id in self._listeners:
                self._emit(Stage("queued", job.id, position=self.registry.position(job.id)))

    def _forget(self, job_id: str) -> None:
        task = self._tasks.pop(job_id, None)
        if task is not None:
            self._finished[job_id] = task
            for old in list(self._finished)[: max(0, len(self._finished) - _KEEP_RESULTS)]:
                del self._finished[old]
        self._listeners.pop(job_id, None)
        with contextlib.suppress(Exception):
            self._announce_positions()


def _as_out(f: MediaFile) -> OutFile:
    return OutFile(f.path, f.size_bytes, f.path)


def _platform_of(url: str) -> str:
    try:
        return strategy_for(url).name
    except BossBotError:
        return "unknown"


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


__all__ = [
    "FileReport",
    "JobRequest",
    "JobResult",
    "LimitBook",
    "OutFile",
    "Pipeline",
    "Stage",
    "StageCallback",
    "UploadBatch",
    "UploadError",
    "UploadTooLargeError",
    "Uploader",
]
