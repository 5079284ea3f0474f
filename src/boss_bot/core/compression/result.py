"""What :func:`compress_to_fit` hands back."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MediaKind = Literal["video", "audio", "image"]


class CompressionResult(BaseModel):
    """The outcome of one compression. Frozen: callers may keep and share it.

    ``paths`` has one file, or the parts in order when the media was split. When the input was
    already under budget, ``method`` is ``"unchanged"``, ``passes`` is 0 and ``paths`` is the
    input itself.
    """

    model_config = ConfigDict(frozen=True)

    kind: MediaKind
    method: str = Field(
        description="e.g. 'unchanged', 'h264+aac capped-abr', 'gif', 'opus', 'jpeg'"
    )
    paths: list[Path]
    original_bytes: int
    final_bytes: int = Field(description="sum over all parts")
    target_bytes: int
    passes: int = Field(description="encoder runs (video/audio) or quality trials (images)")
    duration_seconds: float | None = Field(default=None, description="media duration (output)")
    width: int | None = None
    height: int | None = None
    video_kbps: int | None = None
    audio_kbps: int | None = None
    quality: int | None = Field(default=None, description="JPEG/WebP quality for images")
    elapsed_seconds: float = Field(default=0.0, description="wall time spent")

    @property
    def path(self) -> Path:
        """The output file (the first part when split)."""
        return self.paths[0]

    @property
    def split(self) -> bool:
        return len(self.paths) > 1

    @property
    def ratio(self) -> float:
        """final / original bytes (0.25 means four times smaller)."""
        return self.final_bytes / self.original_bytes if self.original_bytes else 1.0

    @property
    def budget_fill(self) -> float:
        """Largest file / budget: how much of the allowance the biggest output uses."""
        biggest = max((p.stat().st_size for p in self.paths if p.exists()), default=0)
        return biggest / self.target_bytes if self.target_bytes else 0.0
