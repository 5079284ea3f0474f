"""Generate test media with the real tools (ffmpeg for video, Pillow for images)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image, ImageDraw


def make_mp4(
    path: Path,
    *,
    seconds: float = 2.0,
    size: str = "320x240",
    rate: int = 25,
    noise: bool = False,
    faststart: bool = True,
    bitrate: str | None = None,
) -> Path:
    """An H.264/AAC mp4. ``noise`` makes it incompressible (for size-sensitive tests)."""
    video = f"testsrc2=size={size}:rate={rate}:duration={seconds}"
    if noise:
        video = f"nullsrc=size={size}:rate={rate}:duration={seconds},geq=random(1)*255:128:128"
    cmd = [
        "ffmpeg", "-nostdin", "-v", "error", "-y",
        "-f", "lavfi", "-i", video,
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "64k", "-shortest",
    ]  # fmt: skip
    if bitrate:
        cmd += ["-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate]
    if faststart:
        cmd += ["-movflags", "+faststart"]
    subprocess.run([*cmd, str(path)], check=True, timeout=300)
    return path


def make_jpeg(path: Path, *, size: tuple[int, int] = (640, 480), seed: int = 0) -> Path:
    """A JPEG with some structure, different per ``seed`` (so hashes differ)."""
    img = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, 120))
    draw = ImageDraw.Draw(img)
    for i in range(0, size[0], 16):
        draw.line([(i, 0), (size[0] - i, size[1])], fill=((i + seed) % 256, 200, 50), width=3)
    img.save(path, "JPEG", quality=90)
    return path


def make_png(path: Path, *, size: tuple[int, int] = (320, 240)) -> Path:
    img = Image.new("RGBA", size, (10, 120, 200, 180))
    ImageDraw.Draw(img).ellipse([20, 20, size[0] - 20, size[1] - 20], fill=(250, 200, 0, 255))
    img.save(path, "PNG")
    return path
