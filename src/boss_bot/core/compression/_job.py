"""State shared by the encoders of one compress_to_fit call, and output verification."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from boss_bot.core.errors import CompressionError
from boss_bot.core.settings import BossSettings

from ._ffmpeg import ProgressCallback, ProgressParser
from .planning import MAX_PARTS, human_duration, human_size
from .probe import MediaInfo, probe_media

#: Encodes of one output before giving up (the first plus correction passes).
MAX_ATTEMPTS = 4


@dataclass(frozen=True)
class Job:
    """One compression: the input facts, the budget and where temporary files go."""

    settings: BossSettings
    info: MediaInfo
    work_dir: Path
    target_bytes: int
    on_progress: ProgressCallback | None

    @property
    def duration(self) -> float:
        return self.info.duration or 0.0

    def progress(self, offset: float = 0.0) -> ProgressParser:
        """A parser for one encode; events name the input file, whatever the pass."""
        return ProgressParser(
            self.on_progress,
            duration=self.duration,
            total_bytes=self.info.size_bytes,
            filename=self.info.path.name,
            offset=offset,
        )


@dataclass(frozen=True)
class Encoded:
    """One finished output, still in the work directory, verified under budget."""

    path: Path
    passes: int
    duration: float | None
    width: int | None = None
    height: int | None = None
    video_kbps: int | None = None
    audio_kbps: int | None = None
    quality: int | None = None


def too_long(job: Job, *, tried_split: bool) -> CompressionError:
    """The readable refusal: 'a 2 h video cannot fit in 10 MiB at a watchable quality'."""
    what = job.info.kind
    base = (
        f"a {human_duration(job.duration)} {what} cannot fit in "
        f"{human_size(job.target_bytes)} at a watchable quality"
    )
    hint = f" even in {MAX_PARTS} parts" if tried_split else ""
    return CompressionError(base + hint, user_message=base + hint)


async def verify_output(job: Job, path: Path, expected_duration: float) -> MediaInfo:
    """Probe an encoder's output: it must decode and be as long as the input part.

    ffmpeg happily encodes the readable half of a truncated file; a result much shorter than the
    input means the input is damaged, and sending half a video as if it were whole is worse than
    saying so.
    """
    size = path.stat().st_size
    if size > job.target_bytes:  # callers re-encode before this; a last guard for the hard rule
        raise CompressionError(f"internal: {path.name} is {size} B, over {job.target_bytes} B")
    out = await probe_media(path, job.settings)
    got = out.duration or 0.0
    if expected_duration - got > max(1.0, 0.1 * expected_duration):
        raise CompressionError(
            f"{job.info.path.name}: decoded {got:.1f} s of {expected_duration:.1f} s",
            user_message=f"this file is truncated or corrupt: only {human_duration(got)} of "
            f"{human_duration(expected_duration)} could be decoded",
        )
    return out
