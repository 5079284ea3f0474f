"""A clip too long to fit at a watchable bitrate (40 minutes into a tier-0 server's 10 MiB),
with splitting off, ends as a posted link to the bot's own HTTP server; fetched, the link
returns the original bytes. The real bot, tools and HTTP server; the Discord double."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.bot.conftest import MakeWorld
from tests.support.media_server import MediaServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def long_clip(media_server: MediaServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 minutes of tiny noisy video with noisy sound, ~14 MB: more than 10 MiB, and far too
    long to fit 10 MiB at a watchable quality (its sound alone, at the compressor's floor, takes
    most of the budget). Made in a few seconds: 48x48 at 2 frames a second, 8 kHz mono."""
    path = tmp_path_factory.mktemp("long") / "forty.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", "nullsrc=size=48x48:rate=2:duration=2400,geq=random(1)*255:128:128",
         "-f", "lavfi", "-i", "anoisesrc=r=8000:c=white:a=0.3:d=2400",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-b:v", "24k", "-maxrate", "24k", "-bufsize", "24k",
         "-c:a", "aac", "-ac", "1", "-b:a", "24k", "-shortest",
         "-movflags", "+faststart", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    assert path.stat().st_size > 10 * 2**20
    media_server.add_file("forty.mp4", path, "video/mp4")
    return path


async def test_a_clip_that_cannot_fit_is_posted_as_a_link_to_its_original(
    make_world: MakeWorld, long_clip: Path, media_server: MediaServer
) -> None:
    port = _free_port()
    async with make_world(
        upload_allow_split=False,
        http_enabled=True,
        http_port=port,
        public_base_url=f"http://127.0.0.1:{port}",
        link_secret="e2e-link-secret-" + "x" * 24,
    ) as world:
        msg = await world.say(world.tier0, f"$download {media_server.url('forty.mp4')}")
        [status] = await world.final_status(world.tier0, msg, timeout=90)
        assert "✅" in status.content and "posted as a link" in status.content, status.content
        posts = [m for m in world.double.bot_messages(world.tier0.default_channel_id)
                 if "/f/" in m.content]  # fmt: skip
        [post] = posts
        assert post.attachments == []
        [url] = re.findall(r"http://127\.0\.0\.1:\d+/f/\S+", post.content)
        async with httpx.AsyncClient(timeout=30) as client:
            fetched = await client.get(url)
        assert fetched.status_code == 200
        assert fetched.content == long_clip.read_bytes()
        assert fetched.headers["content-type"] == "video/mp4"
        # The 🗑 button sits on the link message: it is the post's last.
        assert any(c.get("custom_id", "").startswith("boss:delete:")
                   for row in post.components for c in row.get("components", []))  # fmt: skip
