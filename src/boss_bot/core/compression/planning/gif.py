"""GIF planning: the search for the largest GIF (size and frame rate) under a byte budget.

GIF has no rate control: its size follows the pixels it encodes. The search variable is the
*pixel-rate fraction* q: (output pixels per second) / (source pixels per second), 1.0 being the
source size at the source frame rate. q maps to one (scale, frame rate) pair (gif_plan), and
the size is modelled as ``size ~ q ** k``, k measured from the encodes already made (between
scales 0.8 and 0.5 of three test GIFs: 1.0 clean, 1.2 noisy, 1.7 mildly noisy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Smallest GIF boss-bot keeps, as a fraction of the source's sides. Below half the width and
#: height (a quarter of the pixels) the mp4 of the same bytes is the better file even without
#: autoplay: H.264 keeps the source size and rate. Measured on a 3 s 480x270 24 fps mildly noisy
#: GIF: the mp4 at full size and rate and the GIF at half the sides and 12 fps both took 190 KB,
#: i.e. the GIF spends ~8x the bytes per pixel shown.
GIF_MIN_SCALE = 0.5
#: ...and in pixels on the short side (or the source's own short side, if smaller): Discord shows
#: a small image at its own size, so a GIF under ~160 px is a thumbnail, not the animation the
#: user posted.
GIF_MIN_SHORT_SIDE = 160
#: The GIF delay unit is 1/100 s and browsers play 1/100 s frames at 1/10 s (10x slower), so
#: faster sources are halved until they are at or under 50 fps (60 -> 30).
GIF_MAX_FPS = 50.0
#: The frame rate is halved (24 -> 12, 30 -> 15) before the picture drops below 1/sqrt(2) of its
#: sides, as the video ladder drops 60 -> 30 fps before resolution, but never below this: under
#: 10 fps motion turns into a slide show.
GIF_MIN_FPS = 10.0
#: Pixel-rate fraction below which the frame rate is halved (then the scale goes back up to
#: sqrt(2 q)); 0.5 = the full-rate picture at 71 % of its sides.
GIF_HALF_RATE_BELOW = 0.5
#: Size exponent of the model ``size ~ q ** k`` before two encodes have measured it (about the
#: middle of the 1.0-1.7 measured; measured exponents are clamped to 0.5-2.5).
GIF_SIZE_EXPONENT = 1.3
#: A GIF trial aims at this fraction of the budget (no rate control: the model is the only aim,
#: so a little lower than x264's FIRST_AIM, an overshoot costs a whole encode).
GIF_AIM = 0.95
#: A GIF at or above this fraction of the budget ends the search: close enough.
GIF_GOOD_FILL = 0.90
#: The most GIF encodes (trials) per input; the palette pass is not counted.
GIF_MAX_ENCODES = 5
#: The search stops when the largest fitting and the smallest over-budget fraction are this
#: close (1.08 in pixel rate is ~4 % on each side: not worth another encode).
GIF_SEARCH_RESOLUTION = 1.08
#: Before any encode: no GIF is tried when the source size predicts that the smallest acceptable
#: GIF is more than this many times over the budget. The prediction from the source is rough (k
#: varies, and a badly encoded source re-encodes smaller at the same size), hence the wide
#: margin; a skipped GIF costs nothing, the mp4 path starts at once.
GIF_SKIP_FACTOR = 4.0
#: After an encode: the search gives up when the measured model predicts the smallest acceptable
#: GIF more than this many times over the budget (instead of spending an encode to confirm it).
GIF_GIVE_UP_FACTOR = 1.25


@dataclass(frozen=True)
class GifPlan:
    """One GIF encode: output size and frame rate, and the pixel-rate fraction they give."""

    width: int
    height: int
    fps: float | None  # None: keep the source's frame timing
    scale: float  # of the source's sides
    fraction: float  # pixel rate / source pixel rate (q)


def gif_rates(fps: float) -> tuple[float | None, float | None]:
    """(full, half) output frame rates for a source at ``fps``: full is None when the source
    timing is kept (at or under GIF_MAX_FPS); half is None when it would be under GIF_MIN_FPS."""
    full = fps
    while full > GIF_MAX_FPS:
        full /= 2
    half = full / 2 if full / 2 >= GIF_MIN_FPS else None
    return (full if full != fps else None), half


def gif_min_scale(width: int, height: int) -> float:
    """The smallest acceptable scale of the sides (GIF_MIN_SCALE, GIF_MIN_SHORT_SIDE)."""
    short = max(1, min(width, height))
    return max(GIF_MIN_SCALE, min(1.0, GIF_MIN_SHORT_SIDE / short))


def gif_plan(width: int, height: int, fps: float, fraction: float) -> GifPlan:
    """The (size, frame rate) for pixel-rate fraction ``fraction``: first smaller at the full
    rate, then (below GIF_HALF_RATE_BELOW, if the source is fast enough) at half rate and as large
    as that allows, never under the minimum scale. ``fraction`` in the plan is the real one."""
    full, half = gif_rates(fps)
    base = full or fps
    min_scale = gif_min_scale(width, height)
    fraction = min(max(fraction, 0.0), 1.0)
    switch = max(GIF_HALF_RATE_BELOW, min_scale**2)
    rate, scale = full, math.sqrt(fraction)
    if half is not None and fraction < switch:
        rate, scale = half, min(1.0, math.sqrt(fraction * base / half))
    scale = min(1.0, max(scale, min_scale))
    w = max(1, round(width * scale)) if scale < 1 else width
    h = max(1, round(height * scale)) if scale < 1 else height
    real = (w * h) / (width * height) * ((rate or base) / base)
    return GifPlan(width=w, height=h, fps=rate, scale=scale, fraction=real)


def gif_min_fraction(width: int, height: int, fps: float) -> float:
    """The pixel-rate fraction of the smallest acceptable GIF."""
    return gif_plan(width, height, fps, 0.0).fraction


def first_gif_fraction(source_bytes: int, target_bytes: int, min_fraction: float) -> float | None:
    """The first trial's fraction, modelled from the source's size; None: do not try a GIF."""
    if source_bytes * min_fraction**GIF_SIZE_EXPONENT > GIF_SKIP_FACTOR * target_bytes:
        return None
    wanted = (GIF_AIM * target_bytes / source_bytes) ** (1 / GIF_SIZE_EXPONENT)
    return min(max(wanted, min_fraction), 1.0)


def _gif_exponent(a: tuple[float, int], b: tuple[float, int]) -> float:
    """k of ``size ~ q ** k`` through two encodes (the default if they cannot tell)."""
    (qa, sa), (qb, sb) = a, b
    if qa <= 0 or qb <= 0 or sa <= 0 or sb <= 0 or abs(math.log(qa / qb)) < 1e-6:
        return GIF_SIZE_EXPONENT
    k = math.log(sa / sb) / math.log(qa / qb)
    return min(max(k, 0.5), 2.5) if k > 0 else GIF_SIZE_EXPONENT


def next_gif_fraction(
    tries: Sequence[tuple[float, int]], target_bytes: int, min_fraction: float
) -> float | None:
    """The next trial's pixel-rate fraction from (fraction, bytes) of every GIF encode so far;
    None: stop (a good fit, the bracket is narrow, or no acceptable GIF can fit).

    Like the image quality search, a bounded search on a monotone size: the model
    ``size ~ q ** k`` (k measured once there are two encodes) proposes the next point, and once
    one encode fits and one does not, the proposal is kept strictly inside that bracket
    (geometric midpoint when the model points outside it).
    """
    if not tries:
        return None
    fits = [t for t in tries if t[1] <= target_bytes]
    overs = [t for t in tries if t[1] > target_bytes]
    best = max(fits, default=None)
    over = min(overs, default=None)
    eps = 1e-9
    if best is not None and (best[0] >= 1.0 - eps or best[1] >= GIF_GOOD_FILL * target_bytes):
        return None
    if over is not None and over[0] <= min_fraction * (1 + 1e-6):
        return None  # the smallest acceptable GIF was tried and is over
    aim = GIF_AIM * target_bytes
    if best is not None and over is not None:
        lo, hi = best[0], over[0]
        if hi / lo <= GIF_SEARCH_RESOLUTION:
            return None
        q = lo * (aim / best[1]) ** (1 / _gif_exponent(best, over))
        if not lo * (1 + eps) < q < hi * (1 - eps):
            q = math.sqrt(lo * hi)
        return q
    # one side only: extrapolate from the encode closest to the aim
    anchor = min(tries, key=lambda t: abs(math.log(t[1] / aim)))
    k = GIF_SIZE_EXPONENT
    if len(tries) >= 2:
        other = min((t for t in tries if t is not anchor), key=lambda t: abs(t[0] - anchor[0]))
        k = _gif_exponent(anchor, other)
    q = anchor[0] * (aim / anchor[1]) ** (1 / k)
    if best is None:
        predicted_min = anchor[1] * (min_fraction / anchor[0]) ** k
        if predicted_min > GIF_GIVE_UP_FACTOR * target_bytes:
            return None
        return min(max(q, min_fraction), 1.0)
    return min(max(q, best[0] * (1 + eps)), 1.0)
