"""Cheap checks that a downloaded file is real media, before anyone sees it.

Run on every file the tools leave (in a worker thread: they only read headers and, for short
lists, hash small files). They catch what servers do wrong or on purpose: an HTML error page
saved as ``.mp4``, an empty file, the 1×1 "removed" GIF, a truncated mp4, an image header that
claims 50 000 × 50 000 pixels (a decompression bomb), or a file on the placeholder list.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from boss_bot.core.dedup import digest, placeholder_reason

#: Images with more pixels than this are refused without decoding (Pillow's own bomb limit).
MAX_IMAGE_PIXELS = 89_478_485
#: Placeholder hash lists are for small files; bigger ones are not hashed here.
_HASH_LIMIT = 20 * 1024 * 1024
_TEXT_STARTS = (b"<!doctype", b"<html", b"<?xml", b"<head", b"<body", b"{", b"[")
_MP4_SUFFIXES = {".mp4", ".m4v", ".m4a", ".mov"}
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff"}


@dataclass(frozen=True)
class Rejection:
    kind: str  # "placeholder", "not_media", "corrupt", "bomb"
    reason: str


def looks_like_text(head: bytes) -> bool:
    """An HTML/XML/JSON document or plain text, not a media container."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith(_TEXT_STARTS):
        return True
    if not head:
        return False
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in head)
    return printable / len(head) > 0.97 and b"\x00" not in head


def mp4_truncated(path: Path, max_atoms: int = 4096) -> bool:
    """True when a top-level atom claims to run past the end of the file."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        pos = 0
        for _ in range(max_atoms):
            if pos >= size:
                return False
            fh.seek(pos)
            header = fh.read(16)
            if len(header) < 8:
                return True
            length, _kind = struct.unpack(">I4s", header[:8])
            if length == 1:
                if len(header) < 16:
                    return True
                length = struct.unpack(">Q", header[8:16])[0]
            elif length == 0:
                return False  # "to the end of the file"
            if length < 8 or pos + length > size:
                return True
            pos += length
    return False


def image_pixels(path: Path) -> int | None:
    """Width × height from the image header (nothing is decoded); None if unreadable."""
    from PIL import Image

    # The header alone: the bomb check must not depend on Pillow's own limit, so lift it here
    # and compare ourselves (opening reads no pixel data).
    saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        with Image.open(path) as im:
            w, h = im.size
    except Exception:
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    return w * h


def inspect(
    path: Path, *, min_media_bytes: int, known_hashes: Iterable[str] = ()
) -> Rejection | None:
    """Why ``path`` must not be delivered, or None when it looks like real media."""
    size = path.stat().st_size
    if size == 0:
        return Rejection("placeholder", "the file is empty")
    with path.open("rb") as fh:
        head = fh.read(512)
    if looks_like_text(head):
        return Rejection("not_media", "the link returned a web page or text, not media")
    suffix = path.suffix.lower()
    if suffix in _MP4_SUFFIXES and mp4_truncated(path):
        return Rejection("corrupt", "the video file is truncated")
    if suffix in _IMAGE_SUFFIXES:
        pixels = image_pixels(path)
        if pixels is not None and pixels > MAX_IMAGE_PIXELS:
            return Rejection("bomb", f"the image claims {pixels / 1e6:.0f} megapixels")
    hashes = list(known_hashes)
    needs_hash = bool(hashes) and size <= _HASH_LIMIT
    small_image = suffix in _IMAGE_SUFFIXES and size < min_media_bytes
    if needs_hash or small_image:
        d = digest(path) if needs_hash else None
        reason = placeholder_reason(
            path, d or _size_only(size), min_media_bytes=min_media_bytes, known_hashes=hashes
        )
        if reason:
            return Rejection("placeholder", reason)
    return None


def _size_only(size: int):  # type: ignore[no-untyped-def]
    from boss_bot.core.dedup import Digest

    return Digest(md5="", sha256="", size=size)
