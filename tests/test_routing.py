"""Routing: which strategy, which tool and which media key a URL gets.

The table lives in tests/data/routing_table.csv: real-world URL shapes of every supported
platform, plus look-alikes that must fall through to ``generic``.
"""

from __future__ import annotations

import csv
import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boss_bot.core.errors import InvalidURLError, UnsupportedURLError
from boss_bot.core.settings import PLATFORMS_WITH_FLAGS
from boss_bot.core.strategies import (
    STRATEGIES,
    Strategy,
    bluesky,
    generic,
    instagram,
    reddit,
    strategy_by_name,
    strategy_for,
    tiktok,
    twitter,
    youtube,
)
from boss_bot.core.telemetry import platform_label
from boss_bot.core.urls import normalise_url

TABLE = Path(__file__).parent / "data" / "routing_table.csv"
PLATFORMS = [s for s in STRATEGIES if s.name != "generic"]
MIRRORS = {
    "fixupx.com", "fixvx.com", "vxtwitter.com", "fxtwitter.com", "ddinstagram.com",
    "fxbsky.app", "vxbsky.app", "cbsky.app", "bskye.app", "bskyx.app", "bsyy.app",
}  # fmt: skip


class Route(NamedTuple):
    url: str
    strategy: str
    tool: str
    media_key: str | None
    note: str


def load_table() -> list[Route]:
    with TABLE.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return [
            Route(r["url"], r["strategy"], r["tool"], r["media_key"] or None, r["note"])
            for r in rows
        ]


ROUTES = load_table()


def test_table_is_big_and_covers_every_strategy() -> None:
    assert len(ROUTES) >= 45
    assert {r.strategy for r in ROUTES} == {s.name for s in STRATEGIES}
    assert len({r.url for r in ROUTES}) == len(ROUTES), "duplicate rows"


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.strategy}:{r.note}" for r in ROUTES])
def test_routing_table(route: Route) -> None:
    url = normalise_url(route.url)
    strategy = strategy_for(route.url)
    assert strategy.name == route.strategy
    assert strategy_for(url) is strategy  # routing is stable under normalisation
    assert strategy.tool_for(url) == route.tool
    assert strategy.media_key(url) == route.media_key
    if route.strategy == "generic":
        # A look-alike must not match any platform, not just lose on order.
        assert not [s.name for s in PLATFORMS if s.matches(url)]


def test_unicode_lookalike_is_punycoded_before_routing() -> None:
    url = normalise_url("https://уoutube.com/watch?v=dQw4w9WgXcQ")
    assert url == "https://xn--outube-vrf.com/watch?v=dQw4w9WgXcQ"
    assert strategy_for(url) is generic.STRATEGY


@pytest.mark.parametrize(
    ("mirror", "canonical"),
    [
        ("https://vxtwitter.com/jack/status/20", "https://twitter.com/jack/status/20"),
        ("https://www.vxtwitter.com/jack/status/20", "https://twitter.com/jack/status/20"),
        ("https://fxtwitter.com/jack/status/20/en", "https://twitter.com/jack/status/20/en"),
        ("https://d.fxtwitter.com/jack/status/20", "https://twitter.com/jack/status/20"),
        ("https://fixupx.com/jack/status/20?s=46", "https://x.com/jack/status/20?s=46"),
        ("https://fixvx.com/jack/status/20", "https://x.com/jack/status/20"),
        ("https://instagr.am/p/CxYz123AbC-/", "https://www.instagram.com/p/CxYz123AbC-/"),
        (
            "https://ddinstagram.com/reel/C_aBcDeFgHi/",
            "https://www.instagram.com/reel/C_aBcDeFgHi/",
        ),
        (
            "https://fxbsky.app/profile/bsky.app/post/3l6oveex3ii2l",
            "https://bsky.app/profile/bsky.app/post/3l6oveex3ii2l",
        ),
        (
            "https://www.bskyx.app/profile/bsky.app/post/3l6oveex3ii2l?x=1",
            "https://bsky.app/profile/bsky.app/post/3l6oveex3ii2l?x=1",
        ),
        ("https://cbsky.app/profile/bsky.app", "https://bsky.app/profile/bsky.app"),
    ],
)
def test_canonical_url_rewrites_mirrors_to_the_real_site(mirror: str, canonical: str) -> None:
    strategy = strategy_for(mirror)
    assert strategy.canonical_url(normalise_url(mirror)) == canonical
    assert strategy_for(canonical) is strategy
    assert strategy.media_key(mirror) == strategy.media_key(canonical)


@pytest.mark.parametrize(
    "url",
    [
        "https://twitter.com/jack/status/20",
        "https://mobile.x.com/jack/status/20",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://example.com/a",
        # TikTok has no mirrors: every host its tools read is its own
        "https://m.tiktok.com/share/live/7210809319192726273",
        "https://main.bsky.dev/profile/bsky.app/post/3l6oveex3ii2l",
        # a host that merely contains a mirror name is not a mirror
        "https://notvxtwitter.com/jack/status/20",
    ],
)
def test_canonical_url_is_identity_elsewhere(url: str) -> None:
    assert strategy_for(url).canonical_url(url) == url


# --- the registry -----------------------------------------------------------------------


def test_registry_is_explicit_ordered_and_generic_last() -> None:
    assert [s.name for s in STRATEGIES] == [
        "twitter", "reddit", "instagram", "youtube", "tiktok", "bluesky", "generic",
    ]  # fmt: skip
    assert STRATEGIES == (
        twitter.STRATEGY,
        reddit.STRATEGY,
        instagram.STRATEGY,
        youtube.STRATEGY,
        tiktok.STRATEGY,
        bluesky.STRATEGY,
        generic.STRATEGY,
    )
    # Every strategy has a feature flag in the settings and its own metrics label.
    assert {s.name for s in STRATEGIES} == set(PLATFORMS_WITH_FLAGS)
    assert all(platform_label(s.name) == s.name for s in STRATEGIES)


def test_strategy_by_name() -> None:
    for strategy in STRATEGIES:
        assert strategy_by_name(strategy.name) is strategy
    with pytest.raises(KeyError, match="unknown strategy 'vimeo'"):
        strategy_by_name("vimeo")


def test_non_http_urls_have_no_strategy() -> None:
    with pytest.raises(UnsupportedURLError):
        strategy_for("ftp://example.com/a")
    with pytest.raises(UnsupportedURLError):  # yt-dlp reads at:// URIs; we take http(s) only
        strategy_for("at://bsky.app/app.bsky.feed.post/3l6oveex3ii2l")
    with pytest.raises(InvalidURLError):
        strategy_for("http://[::1/")


@given(
    st.sampled_from(["http", "https"]),
    st.from_regex(r"([a-z0-9-]{1,10}\.){1,3}[a-z]{2,8}", fullmatch=True),
    st.from_regex(r"(/[A-Za-z0-9._~-]{0,10}){0,3}", fullmatch=True),
)
def test_every_http_url_gets_exactly_the_first_matching_strategy(
    scheme: str, host: str, path: str
) -> None:
    url = f"{scheme}://{host}{path}"
    strategy = strategy_for(url)
    assert generic.STRATEGY.matches(url)
    assert strategy is next(s for s in STRATEGIES if s.matches(url))


@given(
    st.sampled_from(PLATFORMS),
    st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True),
)
def test_platform_hosts_match_exactly_or_as_subdomain(strategy: Strategy, label: str) -> None:
    domain = {
        "twitter": "x.com",
        "reddit": "reddit.com",
        "instagram": "instagram.com",
        "youtube": "youtube.com",
        "tiktok": "tiktok.com",
        "bluesky": "bsky.app",
    }[strategy.name]
    assert strategy.matches(f"https://{domain}/")
    assert strategy.matches(f"https://{label}.{domain}/")
    # glued on (bar the real mirrors), or as a subdomain of someone else's domain: never
    if f"{label}{domain}" not in MIRRORS:
        assert not strategy.matches(f"https://{label}{domain}/")
    assert not strategy.matches(f"https://{domain}.{label}.example/")
    assert not strategy.matches(f"https://{domain}-{label}.example/")


# --- what each strategy hands its tool --------------------------------------------------


def test_tools_and_options_per_strategy() -> None:
    assert twitter.STRATEGY.tool == "gallery-dl"
    assert dict(twitter.STRATEGY.gallery_dl_options) == {
        "videos": True,
        "retweets": False,
        "quoted": False,
        "text-tweets": False,
        "cards": False,
        "conversations": False,
    }
    assert reddit.STRATEGY.tool == "gallery-dl"
    assert dict(reddit.STRATEGY.gallery_dl_options) == {
        "videos": "dash",
        "comments": 0,
        "recursion": 0,
        "selftext": False,
    }
    assert instagram.STRATEGY.tool == "gallery-dl"
    assert dict(instagram.STRATEGY.gallery_dl_options) == {"videos": True, "include": "posts"}
    assert youtube.STRATEGY.tool == "yt-dlp"
    assert dict(youtube.STRATEGY.ytdlp_options) == {"noplaylist": True}
    assert tiktok.STRATEGY.tool == "gallery-dl"
    assert dict(tiktok.STRATEGY.gallery_dl_options) == {
        "videos": True,
        "photos": True,
        "audio": False,
        "include": "posts",
    }
    assert bluesky.STRATEGY.tool == "gallery-dl"
    assert dict(bluesky.STRATEGY.gallery_dl_options) == {
        "videos": True,
        "quoted": False,
        "depth": 0,
    }
    assert generic.STRATEGY.tool == "auto"
    for strategy in STRATEGIES:
        assert strategy.display_name
        if strategy is not youtube.STRATEGY:
            assert dict(strategy.ytdlp_options) == {}
        if strategy.tool == "yt-dlp":
            assert dict(strategy.gallery_dl_options) == {}


def test_strategies_are_immutable() -> None:
    strategy = twitter.STRATEGY
    with pytest.raises(dataclasses.FrozenInstanceError):
        strategy.tool = "yt-dlp"  # type: ignore[misc]
    with pytest.raises(TypeError):
        strategy.gallery_dl_options["retweets"] = True  # type: ignore[index]
    with pytest.raises(TypeError):
        youtube.STRATEGY.ytdlp_options["noplaylist"] = False  # type: ignore[index]


def test_dict_options_are_stored_read_only() -> None:
    options = {"videos": True}
    strategy = Strategy(
        name="t", display_name="T", tool="gallery-dl", hosts=twitter.STRATEGY.hosts,
        gallery_dl_options=options,
    )  # fmt: skip
    options["videos"] = False
    assert strategy.gallery_dl_options == {"videos": True}
    with pytest.raises(TypeError):
        strategy.gallery_dl_options["videos"] = False  # type: ignore[index]


def test_strategies_pickle_as_the_registry_singleton() -> None:
    """Worker processes get the registry's own object back, not a copy."""
    for strategy in STRATEGIES:
        assert pickle.loads(pickle.dumps(strategy)) is strategy


def test_importing_strategies_does_not_import_the_tools() -> None:
    code = (
        "import sys, boss_bot.core.strategies, boss_bot.core.urls\n"
        "heavy = sorted(m for m in ('yt_dlp', 'gallery_dl', 'discord') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""
