"""Hostile media for the adversarial table, registered on the session's media server."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.support.media_server import MediaServer

VIDEO_PAGE = (
    '<html><head><title>{title}</title></head><body><video src="/clip.mp4"></video></body></html>'
)


def png_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` × ``height`` (a decompression-bomb header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="session")
def hostile_server(media_server: MediaServer, media_dir: Path) -> MediaServer:
    clip = (media_dir / "clip.mp4").read_bytes()
    media_server.add_file("truncated.mp4", clip[: len(clip) // 2], "video/mp4")
    media_server.add_file("zero.mp4", b"", "video/mp4")
    pixel = media_dir / "pixel.gif"
    Image.new("P", (1, 1)).save(pixel, "GIF")
    media_server.add_file("pixel.gif", pixel, "image/gif")
    media_server.add_file("bomb.png", png_header(50_000, 50_000), "image/png")
    media_server.add_file(
        "fake.mp4", b"<!DOCTYPE html><html><body>Sign in</body></html>", "video/mp4"
    )
    media_server.add_file(
        "gzip/bomb.jpg", gzip.compress(b"\x00" * (64 * 1024 * 1024), 9), "image/jpeg"
    )
    for name, title in (
        ("traversal.html", "../../etc/passwd"),
        ("long.html", "L" * 400),
        ("emoji.html", "🎬🔥💯🎬🔥💯"),
        ("dashes.html", "--exec rm -rf ~ -o /etc/passwd"),
    ):
        media_server.add_page(name, VIDEO_PAGE.format(title=title))
    return media_server
