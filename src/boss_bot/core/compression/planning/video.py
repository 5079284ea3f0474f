"""Video planning (x264 + AAC in mp4): the resolution ladder, bitrates, presets, corrections.

Pure maths, like the rest of the planning package: every rule that decides video quality is
unit-testable without ffmpeg.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .shared import CORRECTION_AIM, FIRST_AIM, MIN_CORRECTION_STEP

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
