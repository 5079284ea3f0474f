"""`compress_to_fit`: the one entry point. Probes, dispatches by kind, and owns the files."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from boss_bot.core.errors import CompressionError
from boss_bot.core.settings import BossSettings

from . import audio, gif, video
from ._ffmpeg import ProgressCallback, encode_slots
from ._job import Encoded, Job
from .image import compress_image
from .probe import MediaInfo, probe_media
from .result import CompressionResult
from .split import part_name

if TYPE_CHECKING:
    from boss_bot.core.telemetry import Telemetry

#: Budgets below this cannot hold a playable file of any kind.
MIN_TARGET_BYTES = 16 * 1024


async def compress_to_fit(
    path: Path | str,
    target_bytes: int,
    *,
    dest_dir: Path | str,
    settings: BossSettings,
    on_progress: ProgressCallback | None = None,
    allow_split: bool = False,
    telemetry: Telemetry | None = None,
) -> CompressionResult:
    """Make ``path`` fit in ``target_bytes`` with as much quality as the budget allows.

    Video becomes H.264/AAC mp4, audio becomes Opus/Ogg, images become JPEG (or WebP when
    transparent). An animated GIF becomes a smaller GIF when one of acceptable size fits
    (Discord autoplays and loops GIFs inline), else an mp4 like any video. A file already under
    budget is returned untouched (it is still probed, so non-media input is refused either way).
    When a video or audio file cannot fit at the quality floor and ``allow_split`` is set, it is
    cut into independently playable parts, each under ``target_bytes``.

    Outputs are written to a private temp directory inside ``dest_dir`` and moved into place
    (``os.replace``) only once complete and verified under budget; the temp directory (2-pass
    logs, rejected encodes) is removed in every outcome, cancellation included.

    ``on_progress`` is called (on the event loop, must not block) with
    ``ProgressEvent(status="compressing")`` events; see ProgressParser for the fields' meaning.

    Raises :class:`CompressionError` (with a ``user_message`` a person can read) when the input
    is not usable media or cannot fit.

    ``telemetry`` (the pipeline's) counts the encode in ``boss_active_encodes`` while it runs.
    """
    started = time.monotonic()
    src = Path(path)
    if not src.is_file():
        raise CompressionError(f"{src} is not a file", user_message="the file is missing")
    if target_bytes < MIN_TARGET_BYTES:
        raise CompressionError(
            f"budget {target_bytes} B is below {MIN_TARGET_BYTES} B",
            user_message="the size limit is too small for any media file",
        )
    info = await probe_media(src, settings)
    if info.size_bytes <= target_bytes:
        return _unchanged(info, target_bytes, started)

    out_dir = Path(dest_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    async with encode_slots(settings.compression_max_concurrent):
        # Counted as active only once it holds an encode slot (not while waiting for one).
        with telemetry.active_encode() if telemetry else contextlib.nullcontext():
            work = Path(tempfile.mkdtemp(prefix=".compress-", dir=out_dir))
            try:
                job = Job(settings, info, work, target_bytes, on_progress)
                method: str
                if info.kind == "image":
                    encoded, method = await compress_image(job)
                    outputs = [encoded]
                elif info.kind == "audio":
                    outputs = await audio.compress_audio(job, allow_split=allow_split)
                    method = "opus"
                elif gif.is_animated_gif(info):
                    outputs, method = await gif.compress_animated_gif(job, allow_split=allow_split)
                else:
                    outputs = await video.compress_video(job, allow_split=allow_split)
                    method = video.METHOD
                finals = _final_paths(src, out_dir, outputs)
                for enc, final in zip(outputs, finals, strict=True):
                    os.replace(enc.path, final)
            finally:
                shutil.rmtree(work, ignore_errors=True)

    first = outputs[0]
    return CompressionResult(
        kind=info.kind,
        method=method,
        paths=finals,
        original_bytes=info.size_bytes,
        final_bytes=sum(p.stat().st_size for p in finals),
        target_bytes=target_bytes,
        passes=sum(o.passes for o in outputs),
        duration_seconds=(
            sum(o.duration or 0.0 for o in outputs) if first.duration is not None else None
        ),
        width=first.width,
        height=first.height,
        video_kbps=first.video_kbps,
        audio_kbps=first.audio_kbps,
        quality=first.quality,
        elapsed_seconds=time.monotonic() - started,
    )


def _final_paths(src: Path, out_dir: Path, outputs: list[Encoded]) -> list[Path]:
    """``name.mp4`` (right extension for the new format) or ``name.part1of3.mp4``; never the
    input itself (``name.small.mp4`` when the name would collide with it)."""
    ext = outputs[0].path.suffix
    stem = src.stem
    if len(outputs) == 1:
        final = out_dir / f"{stem}{ext}"
        if final.resolve() == src.resolve():
            final = out_dir / f"{stem}.small{ext}"
        return [final]
    return [out_dir / part_name(stem, i, len(outputs), ext) for i in range(1, len(outputs) + 1)]


def _unchanged(info: MediaInfo, target_bytes: int, started: float) -> CompressionResult:
    width = height = None
    if info.video is not None:
        width, height = info.video.display_size
    return CompressionResult(
        kind=info.kind,
        method="unchanged",
        paths=[info.path],
        original_bytes=info.size_bytes,
        final_bytes=info.size_bytes,
        target_bytes=target_bytes,
        passes=0,
        duration_seconds=info.duration if info.kind != "image" else None,
        width=width,
        height=height,
        elapsed_seconds=time.monotonic() - started,
    )
