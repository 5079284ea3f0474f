"""Signed links to kept files: the tokens, and the ``/f/{token}/{name}`` route on a real server
(ranges, HEAD, types, expiry, forgery, traversal, the per-client rate limit)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from boss_bot.core.links import Links, expired_link_dirs
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store
from boss_bot.http import Services
from tests.http.conftest import Api, serve

SECRET = "s" * 40


def links_settings(make_settings: Callable[..., BossSettings], **extra: object) -> BossSettings:
    return make_settings(public_base_url="http://127.0.0.1:1", link_secret=SECRET, **extra)


@pytest.fixture
def original(tmp_path: Path) -> Path:
    path = tmp_path / "src" / "clip name.mp4"
    path.parent.mkdir()
    path.write_bytes(os.urandom(5000))
    return path


@pytest_asyncio.fixture
async def served(make_settings: Callable[..., BossSettings]) -> AsyncIterator[tuple[Api, Links]]:
    settings = links_settings(make_settings, link_requests_per_minute=20)
    store = await open_store(settings)
    links = Links(settings)
    try:
        async with serve(Services(settings=settings, store=store, links=links)) as api:
            yield api, links
    finally:
        await store.close()


def _path_of(url: str) -> str:
    return url.split("127.0.0.1:1", 1)[1]


def test_settings_refuse_links_without_a_secret(make_settings: Callable[..., BossSettings]) -> None:
    with pytest.raises(ValueError, match="LINK_SECRET"):
        make_settings(public_base_url="https://media.example.org")
    with pytest.raises(ValueError, match="LINK_SECRET"):
        make_settings(public_base_url="https://media.example.org", link_secret="short")
    assert not make_settings().links_enabled


def test_a_token_names_only_its_file_until_it_expires(
    make_settings: Callable[..., BossSettings], original: Path
) -> None:
    links = Links(links_settings(make_settings))
    kept = links.keep(original)
    assert original.exists()  # copied; move=True moves
    token = kept.url.split("/f/", 1)[1].split("/", 1)[0]
    assert links.resolve(token) == kept.path
    assert links.resolve(token, now=kept.expires_at) is None  # expired
    body, _, sig = token.partition(".")
    assert links.resolve(f"{body}.{sig[:-2]}AA") is None  # a changed signature
    other = Links(make_settings(public_base_url="http://127.0.0.1:1", link_secret="t" * 40))
    assert other.resolve(token) is None  # another secret
    assert links.resolve("not-a-token") is None and links.resolve("") is None


def test_a_signed_payload_cannot_leave_the_links_directory(
    make_settings: Callable[..., BossSettings], tmp_path: Path
) -> None:
    settings = links_settings(make_settings)
    links = Links(settings)
    secret_file = settings.download_dir / "secret.txt"
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    secret_file.write_text("no")
    # Even a correctly signed payload naming ../ resolves to nothing.
    payload = json.dumps({"f": "../secret.txt", "e": int(time.time()) + 60}).encode()
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    sig = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()[:24]
    token = f"{body}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"
    assert links.resolve(token) is None


def test_expired_kept_files_are_swept(
    make_settings: Callable[..., BossSettings], original: Path
) -> None:
    links = Links(links_settings(make_settings, link_ttl_hours=1))
    old = links.keep(original, now=time.time() - 7200)  # expired an hour ago
    fresh = links.keep(original)  # keeping sweeps the expired one
    assert not old.path.exists() and fresh.path.exists()
    assert expired_link_dirs(links.root, now=fresh.expires_at + 1) == [fresh.path.parent]


async def test_get_head_and_ranges(served: tuple[Api, Links], original: Path) -> None:
    api, links = served
    kept = links.keep(original)
    path = _path_of(kept.url)
    data = original.read_bytes()
    whole = await api.client.get(path)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-disposition"].startswith("inline;")
    assert "clip%20name.mp4" in whole.headers["content-disposition"]
    head = await api.client.head(path)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(data)
    part = await api.client.get(path, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    tail = await api.client.get(path, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == data[-100:]
    beyond = await api.client.get(path, headers={"Range": f"bytes={len(data) + 10}-"})
    assert beyond.status_code == 416


async def test_forged_expired_and_traversal_requests_are_bare_404s(
    served: tuple[Api, Links], original: Path
) -> None:
    api, links = served
    kept = links.keep(original)
    token = kept.url.split("/f/", 1)[1].split("/", 1)[0]
    expired = links.token(f"{kept.path.parent.name}/{kept.name}", time.time() - 1)
    for path in (
        f"/f/{token[:-3]}xyz/{kept.name}",  # forged
        f"/f/{expired}/{kept.name}",  # expired
        f"/f/{token}/other.mp4",  # another name under a valid token
        f"/f/{token}/..%2F..%2Fdata%2Fboss-bot.db",  # traversal in the name
        f"/f/{token}",  # no listing
        "/f/",
    ):
        r = await api.client.get(path)
        assert r.status_code == 404, path
        assert str(links.root) not in r.text and "expired" not in r.text.lower()


async def test_each_client_is_rate_limited(served: tuple[Api, Links], original: Path) -> None:
    api, links = served
    path = _path_of(links.keep(original).url)
    codes = [(await api.client.head(path)).status_code for _ in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429


async def test_links_off_means_no_route(api: Api) -> None:
    r = await api.client.get("/f/anything/x.mp4")
    assert r.status_code == 404
