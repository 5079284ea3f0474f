"""The hostile-input table: each row is an input, the message its user reads, and a clean state.

Every row runs through the DownloadManager (what the bot and bossctl both call) with private
addresses blocked except the local media server itself, which is allow-listed so the server can
misbehave on purpose. After every row: no tool process is left, no file is left in the request
or download directories, and the next valid download still succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from boss_bot.core.errors import BossBotError
from boss_bot.core.manager import DownloadManager
from boss_bot.core.paths import MAX_NAME_BYTES
from tests.conftest import tool_processes
from tests.support.media_server import MediaServer


@dataclass(frozen=True)
class Row:
    id: str
    url: str  # "{base}" is the media server's http://127.0.0.1:PORT
    expect: str  # a fragment of the user-facing message, or "ok:" + a check name
    settings: tuple[tuple[str, object], ...] = ()


TABLE = [
    # --- the server misbehaves -------------------------------------------------------------
    Row("slow-drip past the timeout", "{base}/slow/big.mp4", "took too long",
        (("download_timeout_seconds", 1.5),)),
    Row("endless body, no Content-Length", "{base}/endless/stream.mp4", "larger than"),
    Row("Content-Length larger than the body", "{base}/short/clip.mp4", "did not answer properly"),
    Row("redirect loop", "{base}/loop/a.mp4", "redirect"),
    Row("redirect to the cloud metadata address",
        "{base}/redirect?to=http://169.254.169.254/latest/meta-data/", "private or local network"),
    Row("redirect to localhost by name", "{base}/redirect?to=http://localhost:{port}/clip.mp4",
        "private or local network"),
    Row("text/html served as video/mp4", "{base}/fake.mp4", "web page, not media"),
    Row("truncated mp4", "{base}/truncated.mp4", "truncated"),
    Row("zero-byte file", "{base}/zero.mp4", "empty file"),
    Row("1x1 placeholder GIF", "{base}/pixel.gif", "placeholder"),
    Row("50 000 x 50 000 PNG header", "{base}/bomb.png", "far too large"),
    Row("gzip bomb", "{base}/gzip/bomb.jpg", "larger than"),
    Row("404", "{base}/status/404.mp4", "not found"),
    Row("403", "{base}/status/403.mp4", "private or needs a login"),
    Row("429", "{base}/status/429.mp4", "did not answer properly"),
    Row("500", "{base}/status/500.mp4", "did not answer properly"),
    Row("page with no media", "{base}/page/empty.html", "no downloadable media"),
    # --- hostile titles: downloaded, but named safely inside the request dir --------------
    Row("title ../../etc/passwd", "{base}/page/traversal.html", "ok:safe-name"),
    Row("400-character title", "{base}/page/long.html", "ok:safe-name"),
    Row("emoji-only title", "{base}/page/emoji.html", "ok:safe-name"),
    Row("option-like title", "{base}/page/dashes.html", "ok:safe-name"),
    # --- hostile URLs ------------------------------------------------------------------------
    Row("javascript:", "javascript:alert(1)", "http and https"),
    Row("file:///etc/passwd", "file:///etc/passwd", "http and https"),
    Row("ftp://", "ftp://127.0.0.1/clip.mp4", "http and https"),
    Row("mailto:", "mailto:someone@example.com", "http and https"),
    Row("user:pass in the URL", "http://user:pass@127.0.0.1:{port}/clip.mp4", "password"),
    Row("leading dash", "-o/etc/passwd", "start with '-'"),
    Row("IPv6 loopback literal", "http://[::1]:{port}/clip.mp4", "private or local network"),
    Row("IPv6 ULA literal", "http://[fd00::1]/clip.mp4", "private or local network"),
    Row("decimal 127.0.0.1", "http://2130706433/clip.mp4", "private or local network"),
    Row("hex 127.0.0.1", "http://0x7f.1/clip.mp4", "private or local network"),
    Row("octal 127.0.0.1", "http://0177.0.0.1/clip.mp4", "private or local network"),
    Row("metadata address directly", "http://169.254.169.254/latest/", "private or local network"),
    Row("unicode look-alike domain", "https://yоutube.com/watch?v=dQw4w9WgXcQ", "could not resolve"),
    Row("10 000-character URL", "http://example.com/" + "a" * 10_000, "too long"),
]  # fmt: skip


@pytest.fixture
def hostile_manager(
    make_manager: Callable[..., DownloadManager], hostile_server: MediaServer
) -> Callable[..., DownloadManager]:
    def build(**overrides: object) -> DownloadManager:
        values: dict[str, object] = {
            "allow_private_network_urls": False,
            "private_network_allowlist": [f"127.0.0.1:{hostile_server.port}"],
            "max_file_size_mb": 5,
            "download_timeout_seconds": 20,
            "download_max_attempts": 1,
        }
        values.update(overrides)
        return make_manager(**values)

    return build


def leftover_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_table_is_big_enough() -> None:
    assert len(TABLE) >= 30


@pytest.mark.parametrize("row", TABLE, ids=[r.id for r in TABLE])
async def test_hostile_input(
    row: Row, hostile_manager: Callable[..., DownloadManager], hostile_server: MediaServer
) -> None:
    manager = hostile_manager(**dict(row.settings))
    base = f"http://127.0.0.1:{hostile_server.port}"
    url = row.url.format(base=base, port=hostile_server.port)
    try:
        if row.expect.startswith("ok:"):
            meta = await manager.download(url)
            [f] = meta.files
            assert f.path.parent.parent == manager.settings.requests_dir.resolve()
            assert len(f.filename.encode()) <= MAX_NAME_BYTES
            assert "/" not in f.filename and not f.filename.startswith(("-", "."))
            for p in [f.path.parent]:
                for child in p.iterdir():
                    child.unlink()
                p.rmdir()
        else:
            with pytest.raises(BossBotError) as info:
                await manager.download(url)
            message = info.value.user_message
            assert row.expect.lower() in message.lower(), message
            assert "Traceback" not in message and len(message) < 300
        # clean state
        assert tool_processes() == [], "no tool process may outlive its request"
        assert leftover_files(manager.settings.download_dir) == []
        # still working: the next valid request succeeds
        ok = await manager.download(f"{base}/photo.jpg")
        assert ok.files[0].size_bytes > 0
    finally:
        if manager.guard is not None:
            await manager.guard.close()
