"""What the edges hand the pipeline and get back: the contract between core and its faces.

An edge (the bot, a worker's REST host, a test) implements :class:`Uploader` (a per-file limit
and a way to post one batch) and :class:`JobHost` (where a job it did not submit goes), listens
to :class:`Stage` changes, and reads a :class:`JobResult` (or :class:`AlreadyPosted`) at the
end. Nothing here runs anything; every other module of the package uses these types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from boss_bot.core.errors import BossBotError
    from boss_bot.core.jobs import Job, JobRequest
    from boss_bot.core.models import MediaMetadata

StageName = Literal[
    "queued", "downloading", "compressing", "uploading", "done", "failed", "cancelled",
    "interrupted", "handed_over",
]  # fmt: skip
#: ``handed_over`` (dispatcher only): a worker claimed the job; its status message is the
#: worker's to edit from now on.
#: ``interrupted``: the bot shut down; the job stays in the database and runs after the restart.
Outcome = Literal["done", "failed", "cancelled", "interrupted"]
#: Why a job is handed to the host without having been submitted by this process.
AdoptReason = Literal["restart", "retry", "queued"]
#: What this process does with jobs: run them all (``embedded``), only queue and follow them
#: (``dispatcher``, the bot in distributed mode), or run what its tickets claim (``worker``).
Role = Literal["embedded", "dispatcher", "worker"]


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
    #: Idempotency key for the send (Discord's ``nonce`` + ``enforce_nonce``): the same job and
    #: files give the same nonce, so a send repeated after a lost answer is not posted twice.
    nonce: str | None = None
    #: The job this batch belongs to (the edge puts a delete button on its last message).
    job_id: str = ""
    #: Post every file behind a spoiler (asked for, or sensitive media where that is the rule).
    spoiler: bool = False
    #: Links to kept files that could not be posted (``name``, ``url``, ``size_bytes``).
    links: tuple[tuple[str, str, int], ...] = ()

    @property
    def last(self) -> bool:
        """The last message of the post, as planned when it is sent."""
        return self.index == self.total


@dataclass(frozen=True)
class Posted:
    """The message a batch went out in (its jump URL is what dedup replies link to)."""

    message_id: int
    jump_url: str


class Uploader(Protocol):
    """The edge's half of an upload: the destination's limit and a way to post a batch.

    ``send`` raises :class:`UploadTooLargeError` for a 413 / 40005 and :class:`UploadError` for
    other refusals; rate limits and 5xx are the Discord library's to retry, not the pipeline's.
    """

    @property
    def file_limit(self) -> int:
        """The advertised per-file limit in bytes for this destination."""
        ...

    async def send(self, batch: UploadBatch) -> Posted | None: ...


@dataclass(frozen=True)
class Attachment:
    """Where a job's files and stage changes go (given by the edge that runs it for someone)."""

    uploader: Uploader | None = None
    on_stage: StageCallback | None = None


class Dispatch(Protocol):
    """Distributed mode's way to get a queued job run: one arq ticket per job."""

    async def ticket(self, job_id: str) -> None: ...


class JobHost(Protocol):
    """The edge (the bot) for jobs this process did not submit: resumed after a restart,
    retried (from Discord or the CLI) or queued by someone else. ``adopt`` tells the user and
    returns where the job's files and stages go; None when there is nowhere to post."""

    async def adopt(self, job: Job, request: JobRequest, reason: AdoptReason) -> Attachment | None:
        """Called once per such job, before it runs (may wait until the edge is ready)."""
        ...


@dataclass(frozen=True)
class AlreadyPosted:
    """The answer instead of a job: this media was posted here recently."""

    job_id: str
    media_key: str
    jump_url: str | None
    posted_at: float


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
    #: Files that were already in the archive (same sha256): not stored again.
    duplicates: int = 0
    error: BossBotError | None = None
    limit_bytes: int | None = None  # the per-file limit the files were fitted to
    #: The first posted message's link (what a later duplicate request is pointed at).
    jump_url: str | None = None
    #: Another process (a worker) ran the job and told the user itself: the status message is
    #: not this process's to finish.
    remote: bool = False
    #: The media was marked sensitive by its source (see :mod:`boss_bot.core.sensitive`).
    sensitive: bool = False
    #: The files went out behind spoilers.
    spoilered: bool = False

    @classmethod
    def ended_elsewhere(cls, job: Job) -> JobResult:
        """A dispatcher's view of a job that ended in another process. A job that never
        started (cancelled while queued) is still the dispatcher's to report; one a worker ran
        was reported by that worker."""
        outcome: Outcome = {"succeeded": "done", "cancelled": "cancelled"}.get(job.status, "failed")  # type: ignore[assignment]
        return cls(job=job, outcome=outcome, remote=job.started_at is not None)


__all__ = [
    "AdoptReason",
    "AlreadyPosted",
    "Attachment",
    "Dispatch",
    "FileReport",
    "JobHost",
    "JobResult",
    "OutFile",
    "Outcome",
    "Posted",
    "Role",
    "Stage",
    "StageCallback",
    "StageName",
    "UploadBatch",
    "Uploader",
]
