"""How a job's files are fitted to a per-file limit before they are planned into messages.

A file at or under the target (the limit, or the per-message cap when that is smaller) goes
out unchanged. A larger one is compressed (or, with ``UPLOAD_ALLOW_SPLIT``, split into parts)
by :func:`~boss_bot.core.compression.compress_to_fit`. A whole file is re-encoded from the
download (best quality), a part from itself. Each file's :class:`FileReport` records what was
done; the dimensions of what was produced are kept for the file records.

With links (``PUBLIC_BASE_URL``), the request's ``too_big`` decides what happens to a file over
the target: ``compress`` as above, and a link to the original when even that cannot fit;
``link``, a link to the original, no re-encode; ``both``, the fitted file and a link. Links are
collected on the run (``run.linked``); the delivery posts them after the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from boss_bot.core.compression import compress_to_fit
from boss_bot.core.errors import CompressionError
from boss_bot.core.logs import set_stage as set_log_stage
from boss_bot.core.models import STATUS_COMPRESSING, ProgressEvent
from boss_bot.core.pipeline.context import JobRun
from boss_bot.core.pipeline.types import FileReport, OutFile, Stage

if TYPE_CHECKING:
    from boss_bot.core.events import EventBus
    from boss_bot.core.jobs import JobQueue
    from boss_bot.core.links import Links
    from boss_bot.core.settings import BossSettings
    from boss_bot.core.telemetry import Telemetry


class Fitter:
    """Fits files to a limit for one pipeline (its settings, queue, bus and telemetry)."""

    def __init__(
        self,
        settings: BossSettings,
        queue: JobQueue,
        bus: EventBus,
        telemetry: Telemetry,
        links: Links | None = None,
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.bus = bus
        self.telemetry = telemetry
        #: Where files that cannot fit are kept and linked from; None: links are off.
        self.links = links

    def target(self, limit: int) -> int:
        """The size every posted file must be under: the limit, or the message cap if lower."""
        cap = self.settings.upload_batch_size_bytes
        return min(limit, cap) if cap else limit

    async def fit(
        self,
        run: JobRun,
        files: Sequence[OutFile],
        limit: int,
        reports: dict[Path, FileReport],
    ) -> list[OutFile]:
        """Every file under ``limit`` (and the per-message cap): compressed or split if not."""
        target = self.target(limit)
        out: list[OutFile] = []
        for f in files:
            reports.setdefault(
                f.source, FileReport(f.source.name, f.size_bytes, f.size_bytes, "unchanged")
            )
            if f.size_bytes <= target:
                out.append(f)
                continue
            mode = run.request.too_big if self.links is not None else "compress"
            if mode == "link":
                self._link(run, f, reports)
                continue
            try:
                produced, method = await self._compress(run, f, target)
            except CompressionError:
                if self.links is None:
                    raise
                self._link(run, f, reports)  # no watchable fit: the original, as a link
                continue
            if mode == "both":
                self._link(run, f, reports, also=True)
            out.extend(produced)
            mine = [o for o in out if o.source == f.source]
            reports[f.source] = replace(
                reports[f.source],
                final_bytes=sum(o.size_bytes for o in mine),
                method=method,
                parts=max(len(produced), len(mine)),
            )
        return out

    def _link(
        self, run: JobRun, f: OutFile, reports: dict[Path, FileReport], *, also: bool = False
    ) -> None:
        """Keep the original of ``f`` and link to it (``also``: besides its fitted file)."""
        assert self.links is not None
        source = f.source if f.source.exists() else f.path
        if any(k.name == source.name for k in run.linked):
            return  # one link per original, however many parts it was split into
        kept = self.links.keep(source, move=not also)
        run.linked.append(kept)
        if not also:
            reports[f.source] = replace(reports[f.source], method="link", final_bytes=0)

    async def _compress(self, run: JobRun, f: OutFile, target: int) -> tuple[list[OutFile], str]:
        """``f`` compressed (or split) under ``target``; the files made and the method used."""
        # Whole files are re-encoded from the download (best quality); parts from themselves.
        src = f.source if f.part is None and f.source.exists() else f.path
        job_id = run.job_id
        await self.queue.set_stage(job_id, "compressing")
        run.emit(Stage("compressing", job_id, percent=0.0, filename=src.name))

        def relay(event: ProgressEvent, name: str = src.name) -> None:
            self.bus.progress(job_id, event)
            if event.status == STATUS_COMPRESSING and event.fraction is not None:
                run.emit(Stage("compressing", job_id, percent=event.fraction * 100, filename=name))

        set_log_stage("compressing")
        # (boss_active_encodes is kept by compress_to_fit once it holds an encode slot)
        fitted = await compress_to_fit(
            src,
            target,
            dest_dir=run.work / f".fit-{target}",
            settings=self.settings,
            on_progress=relay,
            allow_split=self.settings.upload_allow_split,
            telemetry=self.telemetry,
        )
        run.meter.compressed(fitted.original_bytes, fitted.final_bytes, fitted.elapsed_seconds)
        n = len(fitted.paths)
        produced: list[OutFile] = []
        for i, p in enumerate(fitted.paths, 1):
            run.dims[p] = (fitted.width, fitted.height, fitted.duration_seconds if n == 1 else None)
            produced.append(
                OutFile(
                    p,
                    p.stat().st_size,
                    f.source,
                    part=i if n > 1 else f.part,
                    parts=n if n > 1 else f.parts,
                )
            )
        return produced, fitted.method


__all__ = ["Fitter"]
