"""Pure planning maths: byte budgets, bitrates, the resolution ladder and part counts.

Nothing here touches files or processes, so every rule that decides quality is unit-testable.
Units: bytes for sizes, kbit/s (1000 bit/s) for bitrates, seconds for durations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

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
#: An encode under this fraction of the budget gets one upward correction pass, unless the
#: content is easy (x264's average P-frame QP at or below EASY_QP: more bits would not show).
UNDERSHOOT_BELOW = 0.93
EASY_QP = 20.0
#: The most an upward correction raises the bitrate (ABR undershoot is rarely worse than this).
MAX_RAISE = 1.5

#: mp4 bookkeeping: a fixed part (ftyp, moov headers, mdat header) plus per-sample table entries
#: (stsz, stts/ctts, stss, stco shares). Measured on x264/AAC output, rounded up.
MP4_FIXED_OVERHEAD = 4096
MP4_BYTES_PER_VIDEO_FRAME = 12
MP4_BYTES_PER_AUDIO_FRAME = 8
AAC_SAMPLES_PER_FRAME = 1024

#: Ogg/Opus: ~1 % page overhead plus headers.
OGG_FIXED_OVERHEAD = 4096
OGG_OVERHEAD_FRACTION = 0.012

#: Short-side heights boss-bot steps down through when the budget is tight.
LADDER_HEIGHTS = (1080, 720, 480, 360)
#: The pixel rate at which COMPRESSION_MIN_VIDEO_BITRATE_KBPS applies as is (360p at 30 fps).
FLOOR_REFERENCE_PIXEL_RATE = 640 * 360 * 30
#: How the floor grows with pixel rate. Encoders need fewer bits per pixel at higher resolution,
#: so the floor grows with the square root: 125 kbit/s at 360p30 is 250 at 720p30, 375 at 1080p30.
FLOOR_EXPONENT = 0.5
#: Above this many bits per pixel more bitrate buys nothing visible; the plan stops there.
MAX_BITS_PER_PIXEL = 0.35
#: Frame rates above this are halved when the bitrate is tight (60 -> 30, 50 -> 25).
MAX_TIGHT_FPS = 31.0

#: Audio bitrates (AAC in mp4) the plan picks from, and the share of the total it aims at.
AUDIO_STEPS_KBPS = (32, 48, 64, 96, 128)
AUDIO_SHARE = 0.10
#: Below this audio bitrate a stereo track becomes mono (stereo at 48 kbit/s AAC sounds worse).
MONO_BELOW_KBPS = 64
#: Opus is transparent long before this; no point spending more.
OPUS_MAX_KBPS = {1: 96, 2: 160}

#: The most parts a split may produce; beyond that the media is refused.
MAX_PARTS = 10

#: libx264 presets from fastest to slowest (the values COMPRESSION_FFMPEG_PRESET accepts).
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower")
#: Below this many video bits per pixel per frame the encode is "starved": x264's slower presets
#: (RD mode decision, subme >= 6, more references, longer mb-tree look-ahead) then buy a lot of
#: quality, and a low-bitrate encode is also cheaper per frame. Measured on a 720p30 low-motion
#: clip, veryfast(+ref=2:trellis=1) -> medium: SSIM +0.010 at 0.012 bpp, +0.005 at 0.023 bpp,
#: +0.001 at 0.047 bpp (and ~0 at the 0.11-0.14 bpp of the 20 s noisy clips), for ~1.6x the
#: encode time. See docs/compression.md.
LOW_BITS_PER_PIXEL = 0.03
#: How many presets slower than COMPRESSION_FFMPEG_PRESET a starved encode uses
#: (veryfast -> faster -> fast -> medium).
LOW_BPP_PRESET_STEPS = 3
#: Stepping never goes past this preset on its own (a slower setting is kept as it is).
SLOWEST_AUTO_PRESET = "slow"


@dataclass(frozen=True)
class VideoPlan:
    """One encode: output size, frame rate and bitrates."""

    width: int
    height: int
    fps: float | None  # None: keep the source frame rate
    video_kbps: int
    audio_kbps: int | None  # None: no audio track
    audio_channels: int | None
    duration: float
    #: Video bits per pixel per frame of the first plan (None: unknown). Corrections change
    #: ``video_kbps`` but not this, so every attempt of one output uses the same x264 preset and
    #: a correction's scaling from the measured miss stays valid.
    bits_per_pixel: float | None = None

    @property
    def maxrate_kbps(self) -> int:
        """Peak cap. 2x the average lets hard scenes borrow bits and keeps playback smooth."""
        return 2 * self.video_kbps

    @property
    def bufsize_kbits(self) -> int:
        """VBV buffer: two seconds at the average rate, so the cap acts over ~1 s windows."""
        return 2 * self.video_kbps

    def with_video_kbps(self, kbps: int) -> VideoPlan:
        return replace(self, video_kbps=max(1, kbps))


def even(value: float) -> int:
    """Nearest even integer >= 2, halves up (yuv420p needs even dimensions)."""
    return max(2, math.floor(value / 2.0 + 0.5) * 2)


def scaled_size(width: int, height: int, short_side: int | None) -> tuple[int, int]:
    """Scale so the shorter side is ``short_side`` (never up), keeping the aspect, even sizes."""
    short = min(width, height)
    factor = 1.0 if short_side is None or short_side >= short else short_side / short
    return even(width * factor), even(height * factor)


def bits_per_pixel(video_kbps: float, width: int, height: int, fps: float) -> float:
    """Video bits per pixel per frame: how starved the encoder is, whatever the size."""
    return video_kbps * 1000 / (width * height * max(fps, 1.0))


def choose_preset(base: str, bpp: float | None) -> str:
    """The x264 preset for an encode of ``bpp`` bits per pixel per frame.

    ``base`` (COMPRESSION_FFMPEG_PRESET) is used as is when bits are plentiful; below
    LOW_BITS_PER_PIXEL it is stepped LOW_BPP_PRESET_STEPS presets slower (veryfast -> medium),
    never past SLOWEST_AUTO_PRESET, and never faster than ``base``.
    """
    if base not in X264_PRESETS or bpp is None or bpp >= LOW_BITS_PER_PIXEL:
        return base
    index = X264_PRESETS.index(base)
    cap = max(index, X264_PRESETS.index(SLOWEST_AUTO_PRESET))
    return X264_PRESETS[min(index + LOW_BPP_PRESET_STEPS, cap)]


def video_floor_kbps(width: int, height: int, fps: float, min_kbps: int) -> float:
    """The lowest watchable video bitrate for this size and frame rate (see FLOOR_EXPONENT)."""
    rate = width * height * max(fps, 1.0)
    return min_kbps * (rate / FLOOR_REFERENCE_PIXEL_RATE) ** FLOOR_EXPONENT


def mp4_overhead_bytes(duration: float, fps: float, has_audio: bool, sample_rate: int) -> int:
    """Container bytes that are not audio or video payload, for a budget computation."""
    frames = duration * max(fps, 1.0)
    audio_frames = duration * sample_rate / AAC_SAMPLES_PER_FRAME if has_audio else 0.0
    return int(
        MP4_FIXED_OVERHEAD
        + frames * MP4_BYTES_PER_VIDEO_FRAME
        + audio_frames * MP4_BYTES_PER_AUDIO_FRAME
    )


def choose_audio(
    total_kbps: float, *, min_kbps: int, source_kbps: int | None, source_channels: int
) -> tuple[int, int]:
    """(kbit/s, channels) for the AAC track: ~10 % of the total, snapped to a standard step,
    never below the floor, never above what the source has, mono when it gets low."""
    wanted = max(float(min_kbps), total_kbps * AUDIO_SHARE)
    if source_kbps:
        # Re-encoding at more than the source rate only wastes bytes.
        wanted = min(wanted, max(float(min_kbps), float(source_kbps)))
    steps = [s for s in AUDIO_STEPS_KBPS if s <= wanted]
    kbps = max(steps[-1] if steps else min_kbps, min_kbps)
    channels = 1 if kbps < MONO_BELOW_KBPS else min(2, max(1, source_channels))
    return kbps, min(channels, max(1, source_channels))


def ladder(width: int, height: int, fps: float) -> list[tuple[int, int, float | None]]:
    """Candidate (width, height, fps) from best to worst: the source size at its own frame rate,
    the source size at half rate (if above 30 fps), then each ladder height below the source.
    ``fps`` None means "keep the source rate"."""
    tight_fps: float | None = fps / 2 if fps > MAX_TIGHT_FPS else None
    rungs: list[tuple[int, int, float | None]] = []
    w0, h0 = scaled_size(width, height, None)
    rungs.append((w0, h0, None))
    if tight_fps is not None:
        rungs.append((w0, h0, tight_fps))
    short = min(width, height)
    for step in LADDER_HEIGHTS:
        if step < short:
            w, h = scaled_size(width, height, step)
            rungs.append((w, h, tight_fps))
    return rungs


def plan_video(
    *,
    duration: float,
    width: int,
    height: int,
    fps: float,
    target_bytes: int,
    has_audio: bool,
    audio_channels: int = 2,
    audio_source_kbps: int | None = None,
    audio_sample_rate: int = 48000,
    min_video_kbps: int,
    min_audio_kbps: int,
    aim: float = FIRST_AIM,
) -> VideoPlan | None:
    """The best rung of the ladder whose video bitrate stays at or above its floor.

    ``width``/``height`` are the displayed size (rotation applied). Returns None when even the
    last rung would be under its floor: the caller then splits or refuses.
    """
    duration = max(duration, 0.1)
    overhead = mp4_overhead_bytes(duration, fps, has_audio, audio_sample_rate)
    usable_bits = (target_bytes * aim - overhead) * 8
    total_kbps = usable_bits / duration / 1000
    if total_kbps <= 0:
        return None
    audio_kbps: int | None = None
    channels: int | None = None
    if has_audio:
        audio_kbps, channels = choose_audio(
            total_kbps,
            min_kbps=min_audio_kbps,
            source_kbps=audio_source_kbps,
            source_channels=audio_channels,
        )
    video_kbps = total_kbps - (audio_kbps or 0)
    for w, h, rung_fps in ladder(width, height, fps):
        eff_fps = rung_fps or fps
        if video_kbps >= video_floor_kbps(w, h, eff_fps, min_video_kbps):
            ceiling = MAX_BITS_PER_PIXEL * w * h * max(eff_fps, 1.0) / 1000
            kbps = int(min(video_kbps, ceiling))
            return VideoPlan(
                width=w,
                height=h,
                fps=rung_fps,
                video_kbps=kbps,
                audio_kbps=audio_kbps,
                audio_channels=channels,
                duration=duration,
                bits_per_pixel=bits_per_pixel(kbps, w, h, eff_fps),
            )
    return None


def corrected_video_kbps(plan: VideoPlan, produced_bytes: int, target_bytes: int) -> int:
    """Video bitrate for a correction pass after an encode of ``produced_bytes`` missed.

    Only the video share is scaled (audio and container overhead do not change with the video
    bitrate), so the second encode lands close to CORRECTION_AIM instead of far under it.
    """
    audio_bytes = (plan.audio_kbps or 0) * 1000 / 8 * plan.duration
    fixed = audio_bytes + MP4_FIXED_OVERHEAD
    produced_video = max(produced_bytes - fixed, 1.0)
    wanted_video = max(target_bytes * CORRECTION_AIM - fixed, 1.0)
    factor = wanted_video / produced_video
    factor = (
        min(factor, MAX_RAISE)
        if produced_bytes < target_bytes
        else min(factor, MIN_CORRECTION_STEP)
    )
    return max(1, int(plan.video_kbps * factor))


def next_video_kbps(plan: VideoPlan, tries: Sequence[tuple[int, int]], target_bytes: int) -> int:
    """Video bitrate for the next correction, from every encode of this output so far.

    ``tries`` are (video kbit/s, produced bytes), the last one being ``plan``'s. Once one encode
    came out under the budget and one over, the size is interpolated linearly between the two
    closest ones (x264's size is close to affine in the bitrate over a few %, but not
    proportional: a proportional step from the lower one overshoots). Otherwise the last encode
    is scaled (corrected_video_kbps).
    """
    under = [t for t in tries if t[1] <= target_bytes]
    over = [t for t in tries if t[1] > target_bytes]
    if under and over:
        lo_kbps, lo_size = max(under, key=lambda t: t[1])
        hi_kbps, hi_size = min(over, key=lambda t: t[1])
        if lo_kbps < hi_kbps and lo_size < hi_size:
            aim = target_bytes * CORRECTION_AIM
            kbps = lo_kbps + (aim - lo_size) * (hi_kbps - lo_kbps) / (hi_size - lo_size)
            return int(min(max(kbps, lo_kbps), hi_kbps - 1))
    return corrected_video_kbps(plan, tries[-1][1], target_bytes)


# --- animated GIF -> smaller GIF ----------------------------------------------------------------
#
# GIF has no rate control: its size follows the pixels it encodes. The search variable is the
# *pixel-rate fraction* q: (output pixels per second) / (source pixels per second), 1.0 being the
# source size at the source frame rate. q maps to one (scale, frame rate) pair (gif_plan), and
# the size is modelled as ``size ~ q ** k``, k measured from the encodes already made (between
# scales 0.8 and 0.5 of three test GIFs: 1.0 clean, 1.2 noisy, 1.7 mildly noisy).

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


def audio_kbps_for(
    *, duration: float, target_bytes: int, channels: int, aim: float = FIRST_AIM
) -> float:
    """The Opus bitrate a budget allows for an audio-only file, capped where Opus is transparent."""
    duration = max(duration, 0.1)
    usable = target_bytes * aim * (1 - OGG_OVERHEAD_FRACTION) - OGG_FIXED_OVERHEAD
    kbps = usable * 8 / duration / 1000
    return min(kbps, float(OPUS_MAX_KBPS[2 if channels >= 2 else 1]))


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
