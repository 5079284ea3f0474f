"""Typed data that crosses module boundaries: media metadata, files, progress, options.

Progress contract (:class:`ProgressEvent`)
-------------------------------------------
Consumers check ``status`` first and **ignore values they do not know** (new stages get added;
the compression module, for one, reports ``compressing``). On success, ``finished`` always
arrives (at least once per download, after the file is in place). Byte counts may be ``None``
when the source does not say; a consumer must not assume ``total_bytes`` is known.
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

DownloadMethod = Literal["api", "cli", "cli_fallback"]
FileType = Literal["video", "audio", "image", "other"]

#: Known ``ProgressEvent.status`` values. Others may appear; consumers ignore them.
STATUS_QUEUED = "queued"
STATUS_DOWNLOADING = "downloading"
STATUS_FINISHED = "finished"
STATUS_COMPRESSING = "compressing"
STATUS_ERROR = "error"


class ProgressEvent(BaseModel):
    """One progress report. Frozen: a consumer may keep it without copying."""

    model_config = ConfigDict(frozen=True)

    status: str
    downloaded_bytes: int | None = None
    total_bytes: int | None = None
    speed: float | None = Field(default=None, description="bytes per second")
    filename: str | None = None

    @property
    def fraction(self) -> float | None:
        """Done fraction in [0, 1] when both byte counts are known."""
        if self.downloaded_bytes is None or not self.total_bytes:
            return None
        return max(0.0, min(1.0, self.downloaded_bytes / self.total_bytes))


def file_type_for(path: Path) -> tuple[FileType, str]:
    """(file_type, mime type) from the file name. Cheap: no content sniffing."""
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    major = mime.split("/", 1)[0]
    kind: FileType = major if major in ("video", "audio", "image") else "other"  # type: ignore[assignment]
    return kind, mime


class MediaFile(BaseModel):
    """One downloaded file, inside the request directory."""

    filename: str
    path: Path
    file_type: FileType
    mime_type: str
    size_bytes: int
    sha256: str | None = None

    @classmethod
    def from_path(cls, path: Path) -> MediaFile:
        kind, mime = file_type_for(path)
        return cls(
            filename=path.name,
            path=path,
            file_type=kind,
            mime_type=mime,
            size_bytes=path.stat().st_size,
        )


class MediaMetadata(BaseModel):
    """What one download produced: the files plus what the site said about them."""

    platform: str
    url: str
    id: str | None = None
    title: str | None = None
    description: str | None = None
    author: str | None = None
    duration: float | None = Field(default=None, description="seconds")
    files: list[MediaFile] = Field(default_factory=list)
    thumbnail: str | None = None
    platform_data: dict[str, Any] = Field(default_factory=dict)
    download_timestamp: datetime = Field(default_factory=lambda: datetime.now(UTC))
    download_method: DownloadMethod = "api"
    tool: str | None = Field(default=None, description="yt-dlp or gallery-dl: the tool that served")
    fallback_tool: bool = Field(
        default=False,
        description="served by a tool other than the first of the platform's tool order",
    )
    quality: str | None = None
    like_count: int | None = None
    repost_count: int | None = None
    view_count: int | None = None
    comment_count: int | None = None
    sensitive: bool = Field(
        default=False, description="marked for adults by the site (core/sensitive.py)"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def size_bytes(self) -> int:
        """Total bytes of all files."""
        return sum(f.size_bytes for f in self.files)


class DownloadOptions(BaseModel):
    """Per-request knobs. Every field has a safe default; strategies ignore what they don't use."""

    model_config = ConfigDict(frozen=True)

    quality: Literal["2160p", "1440p", "1080p", "720p", "480p", "360p", "best"] = "best"
    audio_only: bool = False
    max_items: int | None = Field(default=None, ge=1, le=500)
    playlist: bool = False
    size_budget_bytes: int | None = Field(
        default=None, ge=1, description="Prefer a format that already fits this many bytes."
    )
    force_method: Literal["api", "cli"] | None = Field(
        default=None, description="Override the feature flag for this request."
    )
