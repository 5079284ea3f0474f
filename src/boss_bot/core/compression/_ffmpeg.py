"""Build ffmpeg commands (with ffmpeg-python) and run them with progress, limits and clean errors.

``import ffmpeg`` happens inside the builders only, so importing boss_bot stays cheap and does not
need ffmpeg-python until something is actually compressed.
"""

from __future__ import annotations

import asyncio
import re
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

from boss_bot.core.errors import CompressionError, ExternalToolError
from boss_bot.core.models import STATUS_COMPRESSING, ProgressEvent
from boss_bot.core.process import run_tool
from boss_bot.core.settings import BossSettings

from .planning import GifPlan, VideoPlan, choose_preset

ProgressCallback = Callable[[ProgressEvent], None]

#: Extra x264 options per preset. veryfast with 2 reference frames and trellis quantisation
#: measured as good as 2-pass medium (SSIM) for ~15 % more time than plain veryfast (see
#: docs/compression.md); slower presets already have both.
_X264_EXTRA = {"veryfast": "ref=2:trellis=1"}
#: Extra x264 options when planning.choose_preset stepped to a slower preset for a starved
#: encode: without the p8x8/b8x8 partition searches, medium was 0.0005 SSIM worse but ~25 % less
#: CPU on the low-motion clip at 0.012 bpp (17 vs 23 s; plain 2-pass veryfast: 18-20 s).
_X264_STARVED_EXTRA = "partitions=i8x8,i4x4"
#: x264's ABR rate tolerance (default 1.0). x264 lets the running total drift from the target by
#: a buffer proportional to this before it corrects; on a clip that ends harder than it starts
#: (clean then noisy) the default ended 0.6 % over the budget where 0.25 lands 1.6 % under
#: (20 s 720p, 10 MiB), with the same SSIM on every benchmark clip. Lower still pulls every clip
#: below 0.975 of the budget for no gain.
X264_RATE_TOLERANCE = 0.25

# --- concurrency -----------------------------------------------------------------------------

_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def encode_slots(limit: int) -> asyncio.Semaphore:
    """The semaphore that caps parallel encodes at ``limit`` on the running event loop.

    One per (loop, limit): asyncio primitives belong to a loop, and every caller that passes the
    same COMPRESSION_MAX_CONCURRENT shares the same slots.
    """
    loop = asyncio.get_running_loop()
    per_loop = _SLOTS.setdefault(loop, {})
    if limit not in per_loop:
        per_loop[limit] = asyncio.Semaphore(limit)
    return per_loop[limit]


# --- command building ------------------------------------------------------------------------


def video_command(
    settings: BossSettings,
    src: Path,
    out: Path,
    plan: VideoPlan,
    *,
    source_size: tuple[int, int],
    start: float | None = None,
    length: float | None = None,
) -> list[str]:
    """H.264 + AAC mp4 that plays inline in Discord: yuv420p, even size, +faststart.

    Rate control is a single capped ABR pass (``-b:v`` with ``-maxrate``/``-bufsize``): x264's
    ABR spends the budget across the clip by itself, the cap bounds the peaks. The preset is
    COMPRESSION_FFMPEG_PRESET, stepped slower when the plan is starved of bits
    (planning.choose_preset). ``source_size`` is the displayed size; ffmpeg autorotates while
    decoding, so scaling works on what is shown.
    """
    import ffmpeg

    in_opts: dict[str, object] = {}
    if start:
        in_opts["ss"] = f"{start:.3f}"
    if length is not None:
        in_opts["t"] = f"{length:.3f}"
    inp = ffmpeg.input(str(src), **in_opts)
    video = inp["v:0"]
    if (plan.width, plan.height) != source_size:
        video = video.filter("scale", plan.width, plan.height, flags="bicubic").filter("setsar", 1)
    if plan.fps is not None:
        video = video.filter("fps", fps=f"{plan.fps:.6g}")
    base = settings.compression_ffmpeg_preset
    preset = choose_preset(base, plan.bits_per_pixel)
    extra = _X264_STARVED_EXTRA if preset != base else _X264_EXTRA.get(preset)
    out_opts: dict[str, object] = {
        "c:v": "libx264",
        "preset": preset,
        "b:v": f"{plan.video_kbps}k",
        "maxrate": f"{plan.maxrate_kbps}k",
        "bufsize": f"{plan.bufsize_kbits}k",
        "pix_fmt": "yuv420p",
        "profile:v": "high",
        "movflags": "+faststart",
        "map_chapters": -1,
        "f": "mp4",
    }
    if settings.compression_ffmpeg_threads:
        out_opts["threads"] = settings.compression_ffmpeg_threads
    out_opts["x264-params"] = ":".join([*filter(None, [extra]), f"ratetol={X264_RATE_TOLERANCE}"])
    streams = [video]
    if plan.audio_kbps is not None:
        streams.append(inp["a:0"])
        out_opts.update({"c:a": "aac", "b:a": f"{plan.audio_kbps}k", "ac": plan.audio_channels})
    return _compile(ffmpeg.output(*streams, str(out), **out_opts), settings)


def audio_command(
    settings: BossSettings,
    src: Path,
    out: Path,
    *,
    kbps: int,
    channels: int,
    start: float | None = None,
    length: float | None = None,
) -> list[str]:
    """Opus in Ogg: the best quality per bit at low rates, and it plays inline in Discord."""
    import ffmpeg

    in_opts: dict[str, object] = {}
    if start:
        in_opts["ss"] = f"{start:.3f}"
    if length is not None:
        in_opts["t"] = f"{length:.3f}"
    inp = ffmpeg.input(str(src), **in_opts)
    stream = ffmpeg.output(
        inp["a:0"],
        str(out),
        **{"c:a": "libopus", "b:a": f"{kbps}k", "ac": channels, "vbr": "on", "f": "ogg"},
    )
    return _compile(stream, settings)


#: paletteuse dithering for GIF output: ordered (bayer) dither is deterministic and stable from
#: frame to frame, so LZW compresses it and unchanged areas stay unchanged (error diffusion,
#: ffmpeg's default sierra2_4a, makes every frame's noise different). bayer_scale 4 (0-5; higher
#: is a finer, less visible pattern, a little more banding): on three test GIFs (noisy, clean,
#: mildly noisy) at half their sides, 2 was 6-26 % bigger than 4, 3 was 1-9 % bigger, 5 only
#: 0-5 % smaller for a visibly coarser banding.
GIF_DITHER = {"dither": "bayer", "bayer_scale": 4}


def gif_palette_command(settings: BossSettings, src: Path, palette: Path) -> list[str]:
    """One 256-colour palette for the whole GIF, from what changes between frames
    (``stats_mode=diff``: the moving part gets the colours, not a static background).

    A separate pass writing a small PNG, rather than ``split`` + palettegen in one graph: the
    one-graph form buffers every decoded frame until the palette exists (hundreds of MB for a
    long GIF). The palette is computed once at the source size and reused by every trial; scaling
    hardly changes which colours a GIF uses.
    """
    import ffmpeg

    stream = ffmpeg.input(str(src))["v:0"].filter("palettegen", stats_mode="diff")
    return _compile(ffmpeg.output(stream, str(palette), **{"frames:v": 1, "f": "image2"}), settings)


def gif_command(
    settings: BossSettings, src: Path, palette: Path, out: Path, plan: GifPlan, *, loop: int
) -> list[str]:
    """A GIF at ``plan``'s size and frame rate with ``palette``: lanczos downscale, ordered
    dither, ``diff_mode=rectangle`` (only the changed rectangle of each frame is re-dithered, so
    static areas stay byte-identical and the GIF encoder's frame differencing can skip them).
    ``loop`` is the gif muxer's ``-loop`` (0 forever, -1 play once, n: n more times)."""
    import ffmpeg

    video = ffmpeg.input(str(src))["v:0"]
    if plan.fps is not None:
        video = video.filter("fps", fps=f"{plan.fps:.6g}")
    if plan.scale < 1:
        video = video.filter("scale", plan.width, plan.height, flags="lanczos")
    pal = ffmpeg.input(str(palette))["v:0"]
    video = ffmpeg.filter([video, pal], "paletteuse", diff_mode="rectangle", **GIF_DITHER)
    return _compile(ffmpeg.output(video, str(out), f="gif", loop=loop), settings)


def _compile(stream: object, settings: BossSettings) -> list[str]:
    stream = stream.global_args(  # type: ignore[attr-defined]
        "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-progress", "pipe:1"
    ).overwrite_output()
    return list(stream.compile(cmd=settings.ffmpeg_path))


# --- running ---------------------------------------------------------------------------------


class ProgressParser:
    """Turns ffmpeg ``-progress`` key=value lines into ProgressEvents.

    For ``status="compressing"``: ``total_bytes`` is the input file's size and ``downloaded_bytes``
    is the part of it encoded so far, estimated as ``position / duration * total_bytes``. So
    ``fraction`` is the encode position in the media (parts of a split continue where the
    previous part ended; a correction pass goes back to the start of its part).
    ``speed`` is in the same (input) bytes per second; ``filename`` is the input's name.
    """

    def __init__(
        self,
        callback: ProgressCallback | None,
        *,
        duration: float,
        total_bytes: int,
        filename: str,
        offset: float = 0.0,
    ) -> None:
        self.callback = callback
        self.offset = offset
        self.duration = max(duration, 0.001)
        self.total_bytes = total_bytes
        self.filename = filename
        self.started = time.monotonic()
        self.position = 0.0

    def on_line(self, line: str) -> None:
        key, _, value = line.partition("=")
        if key in ("out_time_us", "out_time_ms"):  # both are microseconds in ffmpeg 5
            try:
                self.position = max(self.position, self.offset + int(value) / 1e6)
            except ValueError:
                return
        elif key == "progress":
            self.emit()

    def emit(self) -> None:
        if self.callback is None:
            return
        done = int(min(1.0, self.position / self.duration) * self.total_bytes)
        elapsed = time.monotonic() - self.started
        self.callback(
            ProgressEvent(
                status=STATUS_COMPRESSING,
                downloaded_bytes=done,
                total_bytes=self.total_bytes,
                speed=done / elapsed if elapsed > 0 else None,
                filename=self.filename,
            )
        )


def encode_timeout(duration: float) -> float:
    """Generous wall-clock limit for one encode: slow machines run ~10x slower than real time at
    worst for these presets; a stuck ffmpeg still gets killed eventually."""
    return 120.0 + 20.0 * duration


async def run_ffmpeg(
    command: Sequence[str],
    *,
    duration: float,
    progress: ProgressParser | None = None,
) -> str:
    """Run one ffmpeg command and return its stderr (info level: the encoder's summary).

    Every failure becomes a CompressionError a user can read; the details go to the log text.
    """
    try:
        res = await run_tool(
            command,
            tool="ffmpeg",
            timeout=encode_timeout(duration),
            on_stdout_line=progress.on_line if progress else None,
        )
    except ExternalToolError as exc:
        if exc.returncode is None:  # not even started: ffmpeg missing
            raise CompressionError(
                f"ffmpeg is not available: {exc}",
                user_message="compression is unavailable (ffmpeg is not installed)",
            ) from None
        raise CompressionError(
            f"ffmpeg failed (exit {exc.returncode}): {exc.stderr[-500:]}",
            user_message="ffmpeg could not decode this file (it may be corrupt or truncated)",
        ) from None
    except TimeoutError:
        raise CompressionError(
            "ffmpeg timed out", user_message="compressing this file took too long"
        ) from None
    return res.stderr


_AVG_QP = re.compile(r"x264 .*frame P:.*Avg QP:\s*([0-9.]+)")


def x264_avg_qp(stderr: str) -> float | None:
    """The average P-frame quantiser from x264's closing summary (None if it did not print)."""
    match = _AVG_QP.search(stderr)
    return float(match.group(1)) if match else None
