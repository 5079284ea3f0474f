"""The API's request and response models: they validate input *and* generate the OpenAPI
document (``/api/v1/openapi.json``), so the document cannot drift from what the code accepts.

Discord ids (guild, channel, user) are strings, as in Discord's own API: they are 64-bit and a
JavaScript number would round them. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from boss_bot.core.models import DownloadOptions
from boss_bot.core.store import Job, StoredFile

#: URLs one POST /api/v1/downloads may carry.
MAX_URLS_PER_REQUEST = 20

JobStatus = Literal["queued", "running", "uploading", "succeeded", "failed", "cancelled"]
StatusFilter = Literal[
    "queued", "running", "uploading", "succeeded", "failed", "cancelled", "active"
]
#: An http(s) URL as far as a schema can say (scheme, then no whitespace or control
#: characters); intake still refuses what check_url refuses (bad hosts, private addresses).
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s\x00-\x1f\x7f]+$"
UrlText = Annotated[str, StringConstraints(min_length=8, max_length=2048, pattern=URL_PATTERN)]
PlatformName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,32}$")]


class ErrorDetail(BaseModel):
    """What went wrong: a stable machine ``code`` and a short ``message`` for people."""

    code: str = Field(examples=["not_found"])
    message: str
    details: list[dict[str, Any]] | None = Field(
        default=None, description="Per-field problems (validation) or per-URL refusals."
    )


class ErrorBody(BaseModel):
    """Every error response, whatever the status."""

    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Check(BaseModel):
    ok: bool
    detail: str


class Readiness(BaseModel):
    """``status`` is ``ready`` (200) or ``not_ready`` (503, with ``error`` saying why)."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, Check]
    error: ErrorDetail | None = None


# --- downloads -----------------------------------------------------------------------------------


class ApiDownloadOptions(DownloadOptions):
    """The same knobs as a Discord request (:class:`~boss_bot.core.models.DownloadOptions`);
    unknown keys are refused rather than silently ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def core(self) -> DownloadOptions:
        return DownloadOptions(**self.model_dump())


class DownloadRequest(BaseModel):
    """Queue downloads into the archive (``download-only``: nothing is posted to Discord)."""

    model_config = ConfigDict(extra="forbid")

    urls: list[UrlText] = Field(min_length=1, max_length=MAX_URLS_PER_REQUEST)
    kind: Literal["download-only"] = "download-only"
    options: ApiDownloadOptions = Field(default_factory=ApiDownloadOptions)


class AcceptedJob(BaseModel):
    id: str
    url: str
    status: JobStatus
    platform: str
    position: int | None = Field(default=None, description="1-based place among queued jobs.")


class RefusedUrl(BaseModel):
    url: str
    error: ErrorDetail


class DownloadAccepted(BaseModel):
    """The jobs created (202), and the URLs refused by intake with their reasons."""

    jobs: list[AcceptedJob]
    refused: list[RefusedUrl] = Field(default_factory=list)


# --- jobs ----------------------------------------------------------------------------------------


def _when(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _snowflake(value: int | None) -> str | None:
    return None if value is None else str(value)


class JobError(BaseModel):
    code: str
    message: str | None


class JobOut(BaseModel):
    """One job, as the queue stores it."""

    id: str
    url: str
    kind: str
    status: JobStatus
    stage: str
    platform: str
    user_id: str = Field(description="Discord user id, or the API client's id (negative).")
    guild_id: str | None
    channel_id: str | None
    options: dict[str, Any]
    priority: int
    attempts: int
    resumed: bool
    position: int | None = Field(default=None, description="1-based place among queued jobs.")
    error: JobError | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job, position: int | None = None) -> JobOut:
        return cls(**_job_fields(job, position))


class JobFile(BaseModel):
    """A file the job produced. ``path`` is relative to DOWNLOAD_DIR when it lies inside."""

    name: str
    path: str
    size_bytes: int
    sha256: str | None
    mime_type: str | None
    width: int | None
    height: int | None
    duration: float | None
    compressed_from_bytes: int | None
    archived: bool
    message_id: str | None
    jump_url: str | None

    @classmethod
    def of(cls, f: StoredFile, download_dir: Path) -> JobFile:
        path = Path(f.path)
        try:
            shown = str(path.resolve().relative_to(download_dir.resolve()))
        except (ValueError, OSError):
            shown = path.name  # never reveal the server's layout outside the archive
        return cls(
            name=path.name, path=shown, size_bytes=f.size_bytes, sha256=f.sha256,
            mime_type=f.mime_type, width=f.width, height=f.height, duration=f.duration,
            compressed_from_bytes=f.compressed_from_bytes, archived=f.archived,
            message_id=_snowflake(f.message_id), jump_url=f.jump_url,
        )  # fmt: skip


class JobDetail(JobOut):
    """A job with its files."""

    files: list[JobFile]


class JobPage(BaseModel):
    """One page of jobs, newest first. Pass ``next_cursor`` back as ``cursor`` for the next
    page; it is null on the last page."""

    items: list[JobOut]
    next_cursor: str | None


def _job_fields(job: Job, position: int | None) -> dict[str, Any]:
    return {
        "id": job.id,
        "url": job.url,
        "kind": job.kind,
        "status": job.status,
        "stage": job.stage,
        "platform": job.platform,
        "user_id": str(job.user_id),
        "guild_id": _snowflake(job.guild_id),
        "channel_id": _snowflake(job.channel_id),
        "options": job.options or {},
        "priority": job.priority,
        "attempts": job.attempts,
        "resumed": job.resumed,
        "position": position,
        "error": JobError(code=job.error_code, message=job.error_message)
        if job.error_code
        else None,
        "created_at": _when(job.created_at),
        "started_at": _when(job.started_at),
        "finished_at": _when(job.finished_at),
    }


def job_detail(
    job: Job, files: list[StoredFile], download_dir: Path, position: int | None = None
) -> JobDetail:
    return JobDetail(
        **_job_fields(job, position), files=[JobFile.of(f, download_dir) for f in files]
    )


# --- platforms -----------------------------------------------------------------------------------


class PlatformOut(BaseModel):
    name: str
    display_name: str
    tool: str
    use_api_client: bool = Field(description="The <PLATFORM>_USE_API_CLIENT flag in force.")
    flag: str = Field(description="The environment variable that sets it.")
    tools: list[str] = Field(
        default_factory=list,
        description="The tools tried in order (<PLATFORM>_TOOLS; `auto`: gallery-dl when it has "
        "an extractor for the link, else yt-dlp).",
    )


class Platforms(BaseModel):
    platforms: list[PlatformOut]
    api_fallback_to_cli: bool = Field(description="DOWNLOAD_API_FALLBACK_TO_CLI.")
