"""Make mp4 files start playing before they are fully downloaded (``+faststart``).

Discord plays an mp4 inline only smoothly when its index (the ``moov`` atom) comes before the
media data (``mdat``). yt-dlp adds ``+faststart`` whenever it runs ffmpeg, but a file downloaded
as-is keeps whatever layout the site served. Checking the top-level atoms costs a few reads; the
remux (stream copy, no re-encode) only runs when the index is at the end.
"""

from __future__ import annotations

import secrets
import struct
from pathlib import Path

from boss_bot.core.process import run_tool

MP4_SUFFIXES = {".mp4", ".m4v", ".mov", ".m4a"}


def moov_first(path: Path, max_atoms: int = 64) -> bool | None:
    """True if ``moov`` precedes ``mdat``, False if not, None if this is not a readable mp4."""
    try:
        with path.open("rb") as fh:
            size = path.stat().st_size
            pos = 0
            for _ in range(max_atoms):
                fh.seek(pos)
                header = fh.read(16)
                if len(header) < 8:
                    return None
                length, kind = struct.unpack(">I4s", header[:8])
                if length == 1 and len(header) == 16:
                    length = struct.unpack(">Q", header[8:16])[0]
                elif length == 0:
                    length = size - pos
                if kind == b"moov":
                    return True
                if kind == b"mdat":
                    return False
                if length < 8:
                    return None
                pos += length
    except OSError:
        return None
    return None


async def ensure_faststart(path: Path, *, ffmpeg: str, timeout: float = 300) -> bool:
    """Remux ``path`` in place with ``+faststart`` when its index is at the end.

    Returns True when the file was rewritten. Writes a temp file beside it and swaps it in with
    ``os.replace``, so a failure leaves the original untouched.
    """
    if path.suffix.lower() not in MP4_SUFFIXES or moov_first(path) is not False:
        return False
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.faststart{path.suffix}")
    try:
        await run_tool(
            [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(path), "-map", "0",
             "-c", "copy", "-movflags", "+faststart", str(tmp)],
            tool="ffmpeg",
            timeout=timeout,
        )  # fmt: skip
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return True
