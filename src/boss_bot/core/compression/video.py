"""Video (and an animated GIF no acceptable smaller GIF fits, see gif.py) -> H.264/AAC mp4.

Method: plan the bitrate from the budget (container overhead and audio share subtracted), pick
the best ladder rung above the quality floor, encode once with capped 1-pass ABR, check the
size, and only when it is off target (over budget, or well under on content that needed the
bits) run a correction pass whose bitrate is scaled from the measured miss. See
docs/compression.md for the measurements behind this choice.
"""

from __future__ import annotations

import os
from pathlib import Path

from boss_bot.core.errors import CompressionError

from ._ffmpeg import run_ffmpeg, video_command, x264_avg_qp
from ._job import MAX_ATTEMPTS, Encoded, Job, too_long, verify_output
from .planning import EASY_QP, UNDERSHOOT_BELOW, VideoPlan, next_video_kbps, plan_video
from .split import encode_in_parts

METHOD = "h264+aac capped-abr"


def plan_for(job: Job, duration: float) -> VideoPlan | None:
    """The plan for ``duration`` seconds of this input in the whole budget (None: cannot fit)."""
    video, audio = job.info.video, job.info.audio
    assert video is not None
    width, height = video.display_size
    return plan_video(
        duration=duration,
        width=width,
        height=height,
        fps=video.fps,
        target_bytes=job.target_bytes,
        has_audio=audio is not None,
        audio_channels=audio.channels if audio else 2,
        audio_source_kbps=audio.bit_rate // 1000 if audio and audio.bit_rate else None,
        audio_sample_rate=audio.sample_rate if audio else 48000,
        min_video_kbps=job.settings.compression_min_video_bitrate_kbps,
        min_audio_kbps=job.settings.compression_min_audio_bitrate_kbps,
    )


async def encode_video(
    job: Job, out: Path, plan: VideoPlan, *, start: float = 0.0, length: float | None = None
) -> Encoded:
    """Encode, measure, and correct once the result is off target.

    Over budget: re-encode with the bitrate scaled down by the measured overshoot (repeated up
    to MAX_ATTEMPTS; the hard rule). Well under budget on content that needed the bits (x264's
    average QP above EASY_QP): one re-encode scaled up; if that overshoots, the best result
    under budget stands. Once one encode was over and one under, the next bitrate is
    interpolated between them (planning.next_video_kbps). Each attempt writes its own file, so a
    failed correction never costs the good one.
    """
    video = job.info.video
    assert video is not None
    expected = length if length is not None else job.duration
    kept: tuple[Path, VideoPlan, int] | None = None
    tries: list[tuple[int, int]] = []  # (video kbit/s, bytes) of every encode so far
    raised = False
    attempt = 0
    while attempt < MAX_ATTEMPTS:
        attempt += 1
        path = out.with_name(f"{out.stem}.try{attempt}{out.suffix}")
        cmd = video_command(
            job.settings,
            job.info.path,
            path,
            plan,
            source_size=video.display_size,
            start=start or None,
            length=length,
        )
        stderr = await run_ffmpeg(cmd, duration=expected, progress=job.progress(offset=start))
        size = path.stat().st_size
        tries.append((plan.video_kbps, size))
        if size > job.target_bytes:
            path.unlink()
            if kept is not None:
                break  # an upward correction overshot: keep the earlier result
            plan = plan.with_video_kbps(next_video_kbps(plan, tries, job.target_bytes))
            continue
        if kept is None or size > kept[0].stat().st_size:
            kept = (path, plan, size)
        qp = x264_avg_qp(stderr)
        easy = qp is not None and qp <= EASY_QP
        if raised or easy or size >= UNDERSHOOT_BELOW * job.target_bytes:
            break
        raised = True
        plan = plan.with_video_kbps(next_video_kbps(plan, tries, job.target_bytes))
    if kept is None:
        raise CompressionError(
            f"{job.info.path.name}: still over budget after {MAX_ATTEMPTS} encodes",
            user_message="this video could not be made small enough",
        )
    path, plan, _ = kept
    os.replace(path, out)
    info = await verify_output(job, out, expected)
    return Encoded(
        path=out,
        passes=attempt,
        duration=info.duration,
        width=info.video.width if info.video else plan.width,
        height=info.video.height if info.video else plan.height,
        video_kbps=plan.video_kbps,
        audio_kbps=plan.audio_kbps,
    )


async def compress_video(job: Job, *, allow_split: bool) -> list[Encoded]:
    """The whole video in one file when a ladder rung fits, else parts (if allowed)."""
    plan = plan_for(job, job.duration)
    if plan is not None:
        return [await encode_video(job, job.work_dir / "out.mp4", plan)]
    if not allow_split:
        raise too_long(job, tried_split=False)

    async def encode_part(out: Path, start: float, length: float) -> Encoded:
        part_plan = plan_for(job, length)
        assert part_plan is not None  # parts_needed only picks counts whose parts fit
        return await encode_video(job, out, part_plan, start=start, length=length)

    return await encode_in_parts(
        job, fits=lambda d: plan_for(job, d) is not None, encode=encode_part, ext=".mp4"
    )
