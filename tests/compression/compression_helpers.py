"""Helpers for the compression tests: make media with real ffmpeg/Pillow and inspect outputs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import psutil

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly; fail the test setup loudly if it fails."""
    subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
        check=True,
        timeout=120,
    )


def probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
         str(path)],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return json.loads(out.stdout)


def streams(path: Path, kind: str) -> list[dict[str, Any]]:
    return [s for s in probe(path)["streams"] if s["codec_type"] == kind]


def duration(path: Path) -> float:
    return float(probe(path)["format"]["duration"])


def decodes(path: Path) -> bool:
    """True when ffmpeg decodes every frame without a single error message."""
    res = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return res.returncode == 0 and not res.stderr.strip()


def frame_rgb(path: Path, at: float = 0.5) -> tuple[int, int, bytes]:
    """One decoded frame as it is displayed (ffmpeg applies rotation like a player does)."""
    info = streams(path, "video")[0]
    w, h = int(info["width"]), int(info["height"])
    rotation = 0
    for side in info.get("side_data_list") or []:
        rotation = int(side.get("rotation", 0))
    if rotation % 180:
        w, h = h, w
    res = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-ss", str(at), "-i", str(path),
         "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    assert len(res.stdout) == w * h * 3
    return w, h, res.stdout


def pixel(frame: tuple[int, int, bytes], x: int, y: int) -> tuple[int, int, int]:
    w, _, data = frame
    i = (y * w + x) * 3
    return data[i], data[i + 1], data[i + 2]


def is_red(rgb: tuple[int, ...]) -> bool:
    r, g, b = rgb[:3]
    return r > 150 and g < 100 and b < 100


def is_blue(rgb: tuple[int, ...]) -> bool:
    r, g, b = rgb[:3]
    return b > 150 and r < 100 and g < 100


def ffmpeg_children() -> list[psutil.Process]:
    """ffmpeg/ffprobe processes below this test process (none may outlive a cancel)."""
    procs = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.name().startswith(("ffmpeg", "ffprobe")):
                procs.append(child)
        except psutil.NoSuchProcess:
            continue
    return procs
