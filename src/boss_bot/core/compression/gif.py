"""Animated GIF -> a smaller animated GIF when an acceptable one fits, else H.264 mp4.

Why a GIF at all: Discord autoplays and loops a GIF inline, while an mp4 waits for a click and
plays once. So when a GIF of acceptable size (planning.GIF_MIN_SCALE, GIF_MIN_SHORT_SIDE,
GIF_MIN_FPS) fits the budget it is kept, even where an mp4 of the same bytes would look sharper;
only when none fits does the input go down the video path (video.compress_video) as any other
video. Both are never encoded to compare: the GIF is preferred whenever it is acceptable.

Method: one palette pass (palettegen, stats_mode=diff), then a short bounded search over the
pixel-rate fraction (scale, then half frame rate, then scale again; planning.gif_plan) with
paletteuse (bayer dither, diff_mode=rectangle), at most planning.GIF_MAX_ENCODES encodes. Each
trial is its own file in the job's work directory; over-budget trials are deleted at once and
the kept one is moved into place with os.replace. See docs/compression.md.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from pathlib import Path

from . import video
from ._ffmpeg import gif_command, gif_palette_command, run_ffmpeg
from ._job import Encoded, Job, verify_output
from .planning import (
    GIF_MAX_ENCODES,
    GifPlan,
    first_gif_fraction,
    gif_min_fraction,
    gif_plan,
    next_gif_fraction,
)
from .probe import MediaInfo

METHOD = "gif"

#: Bytes read from the start of the source to find its loop extension (it sits right after the
#: global colour table, i.e. within the first ~800 bytes of a well-formed GIF).
LOOP_SCAN_BYTES = 64 * 1024
_LOOP_EXTENSIONS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")


def is_animated_gif(info: MediaInfo) -> bool:
    """An animated GIF (probe classifies a single-frame GIF as an image)."""
    return (
        info.kind == "video"
        and info.video is not None
        and info.video.codec == "gif"
        and "gif" in info.format_name.split(",")
    )


def gif_loop_option(path: Path) -> int:
    """The source's loop setting as the gif muxer's ``-loop``: its NETSCAPE2.0 loop count
    (0 = forever, the usual case), or -1 (play once) when it has no loop extension, as browsers
    and Discord play such a GIF once. ffmpeg's gif demuxer does not pass the count on."""
    with path.open("rb") as fh:
        head = fh.read(LOOP_SCAN_BYTES)
    for tag in _LOOP_EXTENSIONS:
        at = head.find(tag)
        if at >= 0:
            sub = head[at + len(tag) : at + len(tag) + 4]  # size 3, id 1, count (little-endian)
            if len(sub) == 4 and sub[0] == 3 and sub[1] == 1:
                return int.from_bytes(sub[2:4], "little")
            return 0
    return -1


async def shrink_gif(job: Job) -> tuple[Encoded | None, int]:
    """The largest acceptable GIF under the budget, or None; and the number of GIF encodes."""
    src = job.info.video
    assert src is not None
    width, height = src.display_size
    min_fraction = gif_min_fraction(width, height, src.fps)
    fraction = first_gif_fraction(job.info.size_bytes, job.target_bytes, min_fraction)
    if fraction is None:
        return None, 0
    loop = await asyncio.to_thread(gif_loop_option, job.info.path)
    palette = job.work_dir / "palette.png"
    await run_ffmpeg(
        gif_palette_command(job.settings, job.info.path, palette),
        duration=job.duration,
        progress=job.progress(),
    )
    tries: list[tuple[float, int]] = []  # (pixel-rate fraction, bytes) of every encode
    plans: list[GifPlan] = []
    kept: tuple[Path, GifPlan] | None = None
    while fraction is not None and len(tries) < GIF_MAX_ENCODES:
        plan = gif_plan(width, height, src.fps, fraction)
        if any((p.width, p.height, p.fps) == (plan.width, plan.height, plan.fps) for p in plans):
            break  # rounding gave a size already tried
        plans.append(plan)
        path = job.work_dir / f"out.try{len(plans)}.gif"
        cmd = gif_command(job.settings, job.info.path, palette, path, plan, loop=loop)
        await run_ffmpeg(cmd, duration=job.duration, progress=job.progress())
        size = path.stat().st_size
        tries.append((plan.fraction, size))
        if size <= job.target_bytes and (kept is None or plan.fraction > kept[1].fraction):
            if kept is not None:
                kept[0].unlink()
            kept = (path, plan)
        else:
            path.unlink()
        fraction = next_gif_fraction(tries, job.target_bytes, min_fraction)
    palette.unlink(missing_ok=True)
    if kept is None:
        return None, len(tries)
    path, plan = kept
    out = job.work_dir / "out.gif"
    os.replace(path, out)
    info = await verify_output(job, out, job.duration)
    if info.kind != "video" or info.video is None:  # one frame left: not the animation
        out.unlink()
        return None, len(tries)
    return (
        Encoded(
            path=out,
            passes=len(tries),
            duration=info.duration,
            width=info.video.width,
            height=info.video.height,
        ),
        len(tries),
    )


async def compress_animated_gif(job: Job, *, allow_split: bool) -> tuple[list[Encoded], str]:
    """A smaller GIF when an acceptable one fits, else the video path's mp4 (or parts).

    ``passes`` of an mp4 fallback include the GIF encodes tried before it.
    """
    gif, tried = await shrink_gif(job)
    if gif is not None:
        return [gif], METHOD
    outputs = await video.compress_video(job, allow_split=allow_split)
    if tried:
        outputs[0] = replace(outputs[0], passes=outputs[0].passes + tried)
    return outputs, video.METHOD
