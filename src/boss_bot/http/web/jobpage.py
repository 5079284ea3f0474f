"""A job's page: its files, its timeline, its error, and the tool and path that served it.

**The timeline is what the store records, no more.** The job row has when it was queued,
started and finished (and how many attempts it took); the metrics row (written once, when the
job ends) has how long each phase took: download, compression, upload. When each phase
*began* is not recorded, so the timeline shows the phases' durations between the start and the
end, not invented times. A job still running shows its current stage instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from boss_bot.core.jobs import ACTIVE_STATUSES, FINAL_STATUSES, Job
from boss_bot.core.store import StoredFile
from boss_bot.http.models import JobFile
from boss_bot.http.web.queries import MetricFacts
from boss_bot.http.web.render import duration, size
from boss_bot.http.web.views import METHOD_LABELS, tool_of

#: Message links are only shown as links when they point at Discord (they come from the store,
#: but a link's scheme is never trusted: autoescaping does not stop ``javascript:``).
_DISCORD_HOSTS = ("discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com")


def safe_link(url: str | None, hosts: tuple[str, ...] | None = None) -> str | None:
    """``url`` if it is http(s) (and on one of ``hosts`` when given), else None."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if hosts is not None and parts.hostname.lower() not in hosts:
        return None
    return url


@dataclass(frozen=True)
class Step:
    """One line of the timeline: a moment (``at``) or a phase that took ``seconds``."""

    label: str
    at: float | None
    seconds: float | None
    note: str


def timeline(job: Job, m: MetricFacts | None) -> list[Step]:
    steps = [Step("queued", job.created_at, None, f"kind {job.kind}, priority {job.priority}")]
    if job.started_at is not None:
        waited = f"waited {duration(job.started_at - job.created_at)} in the queue"
        notes = [waited]
        if job.attempts > 1:
            notes.append(f"attempt {job.attempts}")
        if job.resumed:
            notes.append("resumed after a restart or a lost worker")
        steps.append(Step("started", job.started_at, None, "; ".join(notes)))
    if m is not None:
        if m.download_seconds is not None:
            how = METHOD_LABELS.get(m.method or "", "no download path recorded")
            steps.append(
                Step(
                    "downloading", None, m.download_seconds, f"{size(m.bytes_downloaded)} via {how}"
                )
            )
        if m.compression_seconds is not None:
            ratio = f", final/original {m.compression_ratio:.2f}" if m.compression_ratio else ""
            steps.append(
                Step(
                    "compressing",
                    None,
                    m.compression_seconds,
                    f"{m.compressed_files} file(s){ratio}",
                )
            )
        if m.upload_seconds is not None:
            steps.append(
                Step(
                    "uploading",
                    None,
                    m.upload_seconds,
                    f"{size(m.bytes_uploaded)} in {job.posted_batches} message(s)",
                )
            )
    if job.status in ACTIVE_STATUSES and job.status != "queued":
        steps.append(Step(f"now: {job.stage}", None, None, "in progress"))
    if job.status in FINAL_STATUSES:
        began = job.started_at or job.created_at
        total = None if job.finished_at is None else job.finished_at - began
        note = f"{duration(total)} after it started" if job.started_at else "before it started"
        steps.append(Step(job.status, job.finished_at, None, note))
    return steps


@dataclass(frozen=True)
class FileView:
    name: str
    path: str
    size: int
    compressed_from: int | None
    mime: str
    dims: str
    duration: float | None
    archived: bool
    message_link: str | None
    message_id: str | None


def file_views(files: list[StoredFile], download_dir: Path) -> list[FileView]:
    out = []
    for f in files:
        shown = JobFile.of(f, download_dir)  # the API's view: the path relative to DOWNLOAD_DIR
        dims = f"{f.width}×{f.height}" if f.width and f.height else ""
        out.append(
            FileView(
                name=shown.name,
                path=shown.path,
                size=f.size_bytes,
                compressed_from=f.compressed_from_bytes,
                mime=f.mime_type or "",
                dims=dims,
                duration=f.duration,
                archived=f.archived,
                message_link=safe_link(f.jump_url, _DISCORD_HOSTS),
                message_id=shown.message_id,
            )
        )
    return out


@dataclass(frozen=True)
class Served:
    """Which tool and path served the job (the path is recorded; the tool is the platform's)."""

    tool: str
    method: str | None
    method_label: str
    forced: str | None


def served(job: Job, m: MetricFacts | None) -> Served:
    download = (job.options or {}).get("download") or {}
    forced = download.get("force_method") if isinstance(download, dict) else None
    method = m.method if m is not None else None
    label = METHOD_LABELS.get(method or "", "not recorded (the job did not download)")
    return Served(tool_of(job.platform), method, label, str(forced) if forced else None)


__all__ = ["FileView", "Served", "Step", "file_views", "safe_link", "served", "timeline"]
