"""Fit one still image under a byte budget with Pillow. Runs as its own process.

Started by :mod:`boss_bot.core.compression.image` as ``python -I _pillow_worker.py <json>`` so the
CPU-heavy encoding never runs on the event loop and a cancel can kill it. It imports only the
standard library and Pillow (fast start, no boss_bot import). It prints one JSON object: the
result, or ``{"error": "<message a user can read>"}``.
"""

from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

MAX_QUALITY = 95
#: The smallest side an image is shrunk to before giving up.
MIN_SIDE = 64
#: Safety factor on the downscale estimate (bytes do not scale exactly with pixel count).
DOWNSCALE_SLACK = 0.92
#: Pillow refuses larger images by default (decompression bombs); keep a generous limit.
Image.MAX_IMAGE_PIXELS = 200_000_000


class ImageFitError(Exception):
    """A reason the image cannot be fitted, worded for users."""


def normalise(im: Image.Image) -> tuple[Image.Image, bool]:
    """8-bit RGB/L/RGBA with the EXIF orientation applied; returns (image, has_alpha).

    CMYK becomes RGB, 16-bit becomes 8-bit by scaling (not clipping), and an alpha channel that
    is fully opaque is dropped so the image can be a JPEG.
    """
    im = ImageOps.exif_transpose(im) or im
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        hi = im.getextrema()[1] if mode == "I" else 65535
        im = im.convert("I").point(lambda v: v * (255.0 / max(int(hi), 255))).convert("L")
    elif mode == "F":
        im = im.convert("L")
    elif mode in ("P", "PA"):
        im = im.convert("RGBA" if "transparency" in im.info or mode == "PA" else "RGB")
    elif mode == "LA":
        im = im.convert("RGBA")
    elif mode == "1":
        im = im.convert("L")
    elif mode not in ("RGB", "RGBA", "L"):
        im = im.convert("RGB")  # CMYK, YCbCr, LAB, RGBX, HSV ...
    if im.mode == "RGBA":
        low, _ = im.getchannel("A").getextrema()
        if low == 255:
            return im.convert("RGB"), False
        return im, True
    return im, False


def encode(im: Image.Image, fmt: str, quality: int) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        im.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
    else:
        im.save(buf, "WEBP", quality=quality, method=4)
    return buf.getvalue()


def best_quality(
    im: Image.Image, fmt: str, target: int, min_q: int
) -> tuple[bytes | None, int, int, int]:
    """Binary search for the highest quality that fits: (data, quality, trials, smallest size).

    Size grows with quality (monotone enough for a search), so ~log2(95 - min_q) trials find the
    best fit where a linear walk needs dozens. ``data`` is None when even ``min_q`` is too big.
    """
    trials = 1
    smallest = encode(im, fmt, min_q)
    if len(smallest) > target:
        return None, min_q, trials, len(smallest)
    best, best_q = smallest, min_q
    lo, hi = min_q + 1, MAX_QUALITY
    while lo <= hi:
        mid = (lo + hi) // 2
        data = encode(im, fmt, mid)
        trials += 1
        if len(data) <= target:
            best, best_q, lo = data, mid, mid + 1
        else:
            hi = mid - 1
    return best, best_q, trials, len(smallest)


def fit(src: Path, out_stem: Path, target: int, min_quality: int) -> dict[str, Any]:
    """Write ``out_stem`` + .jpg/.webp under ``target`` bytes; downscale when quality is not
    enough. Transparent images become WebP (keeps alpha, plays everywhere Discord does)."""
    try:
        with Image.open(src) as opened:
            opened.load()
            im, alpha = normalise(opened)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageFitError(f"the image cannot be read ({type(exc).__name__})") from None
    fmt, ext = ("WEBP", ".webp") if alpha else ("JPEG", ".jpg")
    trials = 0
    while True:
        data, quality, n, smallest = best_quality(im, fmt, target, min_quality)
        trials += n
        if data is not None:
            out = out_stem.with_suffix(ext)
            out.write_bytes(data)
            return {
                "path": str(out),
                "width": im.width,
                "height": im.height,
                "format": fmt.lower(),
                "quality": quality,
                "trials": trials,
                "bytes": len(data),
            }
        # Bytes scale roughly with pixel count: shrink by the square root of the overshoot.
        factor = min(0.9, math.sqrt(target / smallest) * DOWNSCALE_SLACK)
        w, h = max(1, round(im.width * factor)), max(1, round(im.height * factor))
        if min(w, h) < MIN_SIDE:
            raise ImageFitError("the image cannot fit in the budget even when shrunk")
        im = im.resize((w, h), Image.Resampling.LANCZOS)


def main(argv: list[str]) -> int:
    args = json.loads(argv[1])
    try:
        result = fit(
            Path(args["src"]), Path(args["out_stem"]), int(args["target"]), int(args["min_q"])
        )
    except ImageFitError as exc:
        result = {"error": str(exc)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
