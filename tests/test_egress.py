"""The egress guard: every connection the tools make is checked, redirects included."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from boss_bot.core.egress import EgressGuard
from boss_bot.core.errors import BlockedURLError
from boss_bot.core.manager import DownloadManager
from tests.conftest import tool_processes
from tests.support.media_server import MediaServer


@pytest.fixture
def guarded_manager(
    make_manager: Callable[..., DownloadManager], media_server: MediaServer
) -> Callable[..., DownloadManager]:
    """Private addresses blocked, except the media server itself (allowlisted)."""

    def build(**overrides: object) -> DownloadManager:
        return make_manager(
            allow_private_network_urls=False,
            private_network_allowlist=[f"127.0.0.1:{media_server.port}"],
            **overrides,
        )

    return build


@pytest.mark.parametrize(("path", "api"), [("photo.jpg", True), ("photo.jpg", False),
                                           ("clip.mp4", True), ("clip.mp4", False)])  # fmt: skip
async def test_downloads_work_through_the_guard(
    guarded_manager: Callable[..., DownloadManager], media_server: MediaServer, path: str, api: bool
) -> None:
    manager = guarded_manager(generic_use_api_client=api)
    try:
        meta = await manager.download(media_server.url(path))
    finally:
        await manager.guard.close()  # type: ignore[union-attr]
    assert meta.files[0].size_bytes > 0
    assert meta.download_method == ("api" if api else "cli")


@pytest.mark.parametrize("api", [True, False], ids=["api", "cli"])
@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "http://localhost:{port}/clip.mp4"],
    ids=["metadata", "loopback-name"],
)
async def test_redirect_to_a_private_address_is_blocked(
    guarded_manager: Callable[..., DownloadManager],
    media_server: MediaServer,
    target: str,
    api: bool,
) -> None:
    manager = guarded_manager(generic_use_api_client=api, download_max_attempts=1)
    url = media_server.url(f"redirect?to={target.format(port=media_server.port)}")
    try:
        with pytest.raises(BlockedURLError) as info:
            await manager.download(url)
    finally:
        await manager.guard.close()  # type: ignore[union-attr]
    assert "redirect" in info.value.user_message and "private" in info.value.user_message
    assert list(manager.settings.requests_dir.iterdir()) == []
    assert tool_processes() == []


async def _raw(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(4096), 10)
    writer.close()
    return data


async def test_connect_to_loopback_is_refused_and_attributed() -> None:
    guard = await EgressGuard().start()
    try:
        auth = "Proxy-Authorization: Basic am9iMTI6\r\n"  # "job12:"
        answer = await _raw(guard.port, f"CONNECT localhost:443 HTTP/1.1\r\n{auth}\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 403")
        assert guard.blocked("job12") == ["localhost:443 (127.0.0.1)"] or guard.blocked("job12")[
            0
        ].startswith("localhost:443")
        answer = await _raw(guard.port, b"GET http://127.0.0.1:9/ HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 403")
        assert guard.blocked("anonymous")[0].startswith("127.0.0.1:9")
        bad = await _raw(guard.port, b"GET /relative HTTP/1.1\r\n\r\n")
        assert bad.startswith(b"HTTP/1.1 400")
    finally:
        await guard.close()
