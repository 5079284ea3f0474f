"""Audio-only media -> Opus in Ogg at the bitrate the budget allows (above the floor)."""

from __future__ import annotations

from pathlib import Path

from boss_bot.core.errors import CompressionError

from ._ffmpeg import audio_command, run_ffmpeg
from ._job import MAX_ATTEMPTS, Encoded, Job, too_long, verify_output
from .planning import CORRECTION_AIM, MIN_CORRECTION_STEP, audio_kbps_for
from .split import encode_in_parts

METHOD = "opus"
#: Below this Opus bitrate a stereo source is encoded as mono (better than starved stereo).
OPUS_MONO_BELOW_KBPS = 40


def plan_audio(job: Job, duration: float) -> tuple[int, int] | None:
    """(kbit/s, channels) for ``duration`` seconds in the budget, or None under the floor."""
    audio = job.info.audio
    assert audio is not None
    channels = min(2, max(1, audio.channels))
    kbps = audio_kbps_for(duration=duration, target_bytes=job.target_bytes, channels=channels)
    if kbps < OPUS_MONO_BELOW_KBPS and channels == 2:
        channels = 1
        kbps = audio_kbps_for(duration=duration, target_bytes=job.target_bytes, channels=1)
    if kbps < job.settings.compression_min_audio_bitrate_kbps:
        return None
    return int(kbps), channels


async def encode_audio(
    job: Job,
    out: Path,
    kbps: int,
    channels: int,
    *,
    start: float = 0.0,
    length: float | None = None,
) -> Encoded:
    """Encode, check the size, and re-encode lower (scaled by the overshoot) while over."""
    expected = length if length is not None else job.duration
    for attempt in range(1, MAX_ATTEMPTS + 1):
        cmd = audio_command(
            job.settings, job.info.path, out, kbps=kbps, channels=channels,
            start=start or None, length=length,
        )  # fmt: skip
        await run_ffmpeg(cmd, duration=expected, progress=job.progress(offset=start))
        size = out.stat().st_size
        if size <= job.target_bytes:
            info = await verify_output(job, out, expected)
            return Encoded(path=out, passes=attempt, duration=info.duration, audio_kbps=kbps)
        factor = min(job.target_bytes * CORRECTION_AIM / size, MIN_CORRECTION_STEP)
        kbps = max(6, int(kbps * factor))
    raise CompressionError(
        f"{job.info.path.name}: audio still over budget after {MAX_ATTEMPTS} encodes",
        user_message="this audio could not be made small enough",
    )


async def compress_audio(job: Job, *, allow_split: bool) -> list[Encoded]:
    """The whole track in one file when it fits above the floor, else parts (if allowed)."""
    plan = plan_audio(job, job.duration)
    if plan is not None:
        return [await encode_audio(job, job.work_dir / "out.ogg", *plan)]
    if not allow_split:
        raise too_long(job, tried_split=False)

    async def encode_part(out: Path, start: float, length: float) -> Encoded:
        part = plan_audio(job, length)
        assert part is not None
        return await encode_audio(job, out, *part, start=start, length=length)

    return await encode_in_parts(
        job, fits=lambda d: plan_audio(job, d) is not None, encode=encode_part, ext=".ogg"
    )
