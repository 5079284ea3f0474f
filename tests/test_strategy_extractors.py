"""The tool a TikTok or Bluesky URL is routed to really has an extractor for it.

Routing is plain data (tests/test_routing.py); these tests ask the installed yt-dlp and
gallery-dl themselves, offline (extractor patterns only, no request), so an upgrade that drops
or narrows an extractor, or adds a shape routed to the tool that cannot read it, fails here
rather than in a channel.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from boss_bot.core.strategies import Strategy, bluesky, strategy_for, tiktok
from boss_bot.core.urls import host_of, normalise_url
from tests.test_routing import ROUTES, Route

NEW = (tiktok.STRATEGY, bluesky.STRATEGY)
ROWS = [r for r in ROUTES if r.strategy in {s.name for s in NEW}]
#: Hosts sent to yt-dlp on purpose for its generic extractor (bare HLS playlists).
YTDLP_GENERIC_HOSTS = {"video.bsky.app"}


@functools.cache
def _ytdlp_extractors() -> tuple[Any, ...]:
    from yt_dlp.extractor import gen_extractor_classes

    return tuple(gen_extractor_classes())


def _ytdlp_reads(url: str) -> list[str]:
    """yt-dlp's extractors whose URL pattern takes ``url`` (``generic`` last, as in yt-dlp)."""
    return [ie.IE_NAME for ie in _ytdlp_extractors() if ie.suitable(url)]


def _gallerydl_category(url: str) -> str | None:
    import gallery_dl.extractor

    found = gallery_dl.extractor.find(url)
    return f"{found.category}:{found.subcategory}" if found is not None else None


def _assert_tool_reads(strategy: Strategy, url: str, tool: str) -> None:
    if tool == "gallery-dl":
        found = _gallerydl_category(url)
        # The category must be the strategy's name: that is where its options are applied.
        assert found is not None and found.split(":")[0] == strategy.name, (url, found)
    else:
        assert tool == "yt-dlp", (url, tool)
        names = _ytdlp_reads(url)
        if host_of(url) in YTDLP_GENERIC_HOSTS:
            assert names and names[-1] == "generic" and url.split("?")[0].endswith(".m3u8")
        else:
            assert [n for n in names if strategy.name in n.lower()], (url, names)


def test_rows_cover_both_tools_of_both_platforms() -> None:
    assert {(r.strategy, r.tool) for r in ROWS} == {
        ("tiktok", "gallery-dl"),
        ("tiktok", "yt-dlp"),
        ("bluesky", "gallery-dl"),
        ("bluesky", "yt-dlp"),
    }


@pytest.mark.parametrize("route", ROWS, ids=[f"{r.strategy}:{r.note}" for r in ROWS])
def test_routed_tool_has_an_extractor_for_each_table_row(route: Route) -> None:
    strategy = strategy_for(route.url)
    url = strategy.canonical_url(normalise_url(route.url))  # what the tool is handed
    _assert_tool_reads(strategy, url, strategy.tool_for(url))


def _tool_examples() -> list[tuple[str, str]]:
    """``(source, url)``: every http(s) URL the tools list for these platforms' extractors."""
    import gallery_dl.extractor

    found = [
        (f"gallery-dl {cls.category}:{cls.subcategory}", cls.example)
        for cls in gallery_dl.extractor.extractors()
        if cls.category in {s.name for s in NEW}
    ]
    for ie in _ytdlp_extractors():
        if ie.IE_NAME.lower().split(":")[0].removeprefix("vm.") in {s.name for s in NEW}:
            found += [(f"yt-dlp {ie.IE_NAME}", t["url"]) for t in ie.get_testcases(True)]
    return [(source, url) for source, url in found if url.startswith(("http://", "https://"))]


def test_every_url_the_tools_list_reaches_a_tool_that_reads_it() -> None:
    """Both tools' own example URLs for TikTok and Bluesky: routed here, to a reader."""
    examples = _tool_examples()
    sources = {source.split()[0] for source, _ in examples}
    assert sources == {"gallery-dl", "yt-dlp"} and len(examples) >= 40
    for source, example in examples:
        strategy = strategy_for(example)
        assert strategy in NEW, (source, example, strategy.name)
        url = strategy.canonical_url(normalise_url(example))
        _assert_tool_reads(strategy, url, strategy.tool_for(url))
