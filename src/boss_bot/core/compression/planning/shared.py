"""Planning rules every kind of media shares: how close to the byte budget an encode aims, how
many parts a split may have, and how sizes and durations are said to people.

Units, here and in the other planning modules: bytes for sizes, kbit/s (1000 bit/s) for
bitrates, seconds for durations.
"""

from __future__ import annotations

import math
from collections.abc import Callable

#: Fraction of the byte budget the first encode aims at. x264's 1-pass ABR (with the tight
#: rate tolerance boss-bot sets, see _ffmpeg.X264_RATE_TOLERANCE) lands within about +-1 % of
#: its target on 20 s clips, a little over on clips that end harder than they start, so aiming at
#: 97.5 % lands at 0.97-0.99 and rarely needs the correction pass.
FIRST_AIM = 0.975
#: What a correction pass aims at (of the budget). A correction is scaled from a measured encode
#: of the same clip (or interpolated between two), so it is more precise than the first plan and
#: can aim nearly as high: it lands at ~0.965-0.975 (an overshoot only costs another encode).
CORRECTION_AIM = 0.97
#: A correction never shrinks the bitrate by less than this (avoids a second near-miss).
MIN_CORRECTION_STEP = 0.98

#: The most parts a split may produce; beyond that the media is refused.
MAX_PARTS = 10


def parts_needed(duration: float, fits: Callable[[float], bool]) -> int | None:
    """The smallest part count (<= MAX_PARTS) for which a part of ``duration / n`` fits."""
    for n in range(2, MAX_PARTS + 1):
        if fits(duration / n):
            return n
    return None


def human_duration(seconds: float) -> str:
    """'2 h', '1 h 30 min', '12 min', '45 s': how a person says it."""
    seconds = max(0.0, seconds)
    if seconds >= 3600:
        h, rest = divmod(round(seconds / 60), 60)
        return f"{h} h" if rest == 0 else f"{h} h {rest} min"
    if seconds >= 60:
        return f"{round(seconds / 60)} min"
    return f"{math.ceil(seconds)} s"


def human_size(n: int) -> str:
    """'10 MiB', '512 KiB', '1.5 MiB'."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            value = n / size
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
    return f"{n} B"
