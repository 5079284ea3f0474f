"""ffprobe -> :class:`MediaInfo`: what a file is, and the facts the planner needs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from boss_bot.core.coerce import opt_float as _num
from boss_bot.core.errors import CompressionError, ExternalToolError
from boss_bot.core.process import run_tool
from boss_bot.core.settings import BossSettings

ProbeKind = Literal["video", "audio", "image"]

#: Codecs of single pictures (when the container is an image format, not e.g. mjpeg in avi).
_IMAGE_CODECS = {"png", "mjpeg", "jpegls", "webp", "bmp", "tiff", "gif", "jpeg2000", "ppm", "pgm"}
#: "Video" that ffmpeg makes out of text files (ANSI art and friends): not media.
_TEXT_CODECS = {"ansi", "bintext", "xbin", "idf", "tty"}
_TEXT_FORMATS = {"tty", "lrc", "srt", "ass", "webvtt", "subviewer", "microdvd", "sami", "jacosub"}

PROBE_TIMEOUT = 60.0


@dataclass(frozen=True)
class VideoStream:
    codec: str
    width: int
    height: int
    fps: float
    rotation: int  # clockwise degrees a player turns the picture: 0, 90, 180 or 270
    pix_fmt: str | None
    bit_rate: int | None

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) as shown, after the rotation."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True)
class AudioStream:
    codec: str
    channels: int
    sample_rate: int
    bit_rate: int | None


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    size_bytes: int
    format_name: str
    kind: ProbeKind
    duration: float | None
    video: VideoStream | None
    audio: AudioStream | None


def _rate(text: str | None) -> float:
    """'30000/1001' -> 29.97; 0 when unknown."""
    if not text or "/" not in text:
        return _num(text) or 0.0
    num, _, den = text.partition("/")
    n, d = _num(num), _num(den)
    return n / d if n and d else 0.0


def _rotation(stream: dict[str, Any]) -> int:
    """Display rotation, clockwise. Display-matrix side data says -90 for what the legacy
    ``rotate`` tag calls 90."""
    for side in stream.get("side_data_list") or []:
        if "rotation" in side and (value := _num(side["rotation"])) is not None:
            return round(-value) % 360 // 90 * 90
    tag = _num((stream.get("tags") or {}).get("rotate"))
    return round(tag) % 360 // 90 * 90 if tag is not None else 0


async def _ffprobe(path: Path, settings: BossSettings, *extra: str) -> dict[str, Any]:
    cmd = [
        settings.ffprobe_path,
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        *extra,
        str(path),
    ]
    try:
        res = await run_tool(cmd, tool="ffprobe", timeout=PROBE_TIMEOUT)
        data = json.loads(res.stdout or "{}")
    except ExternalToolError as exc:
        raise CompressionError(
            f"ffprobe cannot read {path.name}: {exc.stderr[-300:]}",
            user_message="this file is not media boss-bot can read (corrupt, truncated or "
            "an unsupported format)",
        ) from None
    except TimeoutError:
        raise CompressionError(f"ffprobe timed out on {path.name}") from None
    except json.JSONDecodeError:
        raise CompressionError(f"ffprobe printed no JSON for {path.name}") from None
    return data


def _not_media(path: Path, why: str) -> CompressionError:
    return CompressionError(
        f"{path.name}: {why}", user_message=f"this file is not audio, video or an image ({why})"
    )


async def probe_media(path: Path, settings: BossSettings) -> MediaInfo:
    """Probe ``path``; raise :class:`CompressionError` for anything that is not usable media."""
    size = path.stat().st_size
    if size == 0:
        raise CompressionError(f"{path.name} is empty", user_message="the file is empty (0 bytes)")
    data = await _ffprobe(path, settings)
    fmt = data.get("format") or {}
    format_name = str(fmt.get("format_name") or "")
    streams = data.get("streams") or []
    if format_name in _TEXT_FORMATS:
        raise _not_media(path, "it looks like text")

    vjson = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video"
            and not (s.get("disposition") or {}).get("attached_pic")
            and s.get("codec_name") not in _TEXT_CODECS
        ),
        None,
    )
    ajson = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if any(s.get("codec_name") in _TEXT_CODECS for s in streams) and vjson is None:
        raise _not_media(path, "it looks like text")

    video = None
    if vjson is not None:
        width, height = int(vjson.get("width") or 0), int(vjson.get("height") or 0)
        if width <= 0 or height <= 0:
            raise _not_media(path, "the picture has no size")
        fps = _rate(vjson.get("avg_frame_rate")) or _rate(vjson.get("r_frame_rate"))
        if not 0 < fps <= 240:
            fps = 30.0  # unknown or a timebase, not a frame rate: assume the common case
        video = VideoStream(
            codec=str(vjson.get("codec_name") or "unknown"),
            width=width,
            height=height,
            fps=fps,
            rotation=_rotation(vjson),
            pix_fmt=vjson.get("pix_fmt"),
            bit_rate=int(b) if (b := _num(vjson.get("bit_rate"))) else None,
        )
    audio = None
    if ajson is not None:
        audio = AudioStream(
            codec=str(ajson.get("codec_name") or "unknown"),
            channels=int(ajson.get("channels") or 2),
            sample_rate=int(_num(ajson.get("sample_rate")) or 48000),
            bit_rate=int(b) if (b := _num(ajson.get("bit_rate"))) else None,
        )

    duration = _num(fmt.get("duration"))
    if duration is None:
        durations = [d for s in streams if (d := _num(s.get("duration"))) is not None]
        duration = max(durations) if durations else None

    kind: ProbeKind
    is_image_container = format_name.endswith("_pipe") or format_name in ("image2", "gif")
    if video is not None and video.codec in _IMAGE_CODECS and is_image_container:
        kind = "image"
        if video.codec == "gif":
            counted = await _ffprobe(path, settings, "-count_packets", "-select_streams", "v:0")
            cstreams = counted.get("streams") or [{}]
            packets = int(_num(cstreams[0].get("nb_read_packets")) or 1)
            if packets > 1:
                kind = "video"  # an animated GIF is a video that happens to be a GIF
    elif video is not None:
        kind = "video"
    elif audio is not None:
        kind = "audio"
    else:
        raise _not_media(path, "it has no audio or video stream")

    if kind in ("video", "audio") and not duration:
        raise CompressionError(
            f"{path.name}: no duration",
            user_message="this file looks corrupt or truncated (it has no duration)",
        )
    return MediaInfo(
        path=path,
        size_bytes=size,
        format_name=format_name,
        kind=kind,
        duration=duration,
        video=video,
        audio=audio,
    )
