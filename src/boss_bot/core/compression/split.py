"""Splitting media that cannot fit whole: equal, independently playable parts.

Each part is encoded on its own from an accurate seek into the source, so it starts on a
keyframe of its own (every part begins with an IDR frame) and decodes without the others.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from ._job import Encoded, Job, too_long
from .planning import parts_needed

#: Encodes one (start, length) part into a path; returns the verified output.
PartEncoder = Callable[[Path, float, float], Awaitable[Encoded]]


def segments(duration: float, parts: int) -> list[tuple[float, float]]:
    """(start, length) of ``parts`` equal parts covering ``duration``."""
    step = duration / parts
    out = []
    for i in range(parts):
        start = i * step
        length = duration - start if i == parts - 1 else step
        out.append((start, length))
    return out


def part_name(stem: str, index: int, parts: int, ext: str) -> str:
    """``name.part1of3.mp4``: sorts right and says how many to expect."""
    return f"{stem}.part{index}of{parts}{ext}"


async def encode_in_parts(
    job: Job, *, fits: Callable[[float], bool], encode: PartEncoder, ext: str
) -> list[Encoded]:
    """Find the smallest part count whose parts fit, then encode the parts in order."""
    parts = parts_needed(job.duration, fits)
    if parts is None:
        raise too_long(job, tried_split=True)
    results = []
    for i, (start, length) in enumerate(segments(job.duration, parts), start=1):
        out = job.work_dir / part_name("part", i, parts, ext)
        results.append(await encode(out, start, length))
    return results
