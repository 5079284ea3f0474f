"""Sensitive (adult) media read from the tools' own flags, on recorded output per platform.

The recorded samples in tests/data/recorded/ keep the fields each extractor really produces
(yt-dlp 2026.10.26, gallery-dl 1.32.18; read from their sources), values replaced:

- ``ytdlp_twitter_{sensitive,video}``: ``age_limit`` 18 / 0 (from ``possibly_sensitive``);
- ``ytdlp_reddit_{nsfw,video}``: ``age_limit`` 18 / 0 (from ``over_18``);
- ``ytdlp_bluesky_nudity``: a ``nudity`` label, which yt-dlp keeps in ``tags`` but leaves out
  of ``age_limit``;
- ``gallerydl_twitter_sensitive``: ``sensitive`` true, ``sensitive_flags`` ["Nudity"];
- ``gallerydl_reddit_nsfw``: ``over_18`` true;
- ``gallerydl_danbooru_{explicit,questionable,sensitive,general}``: ``rating`` e / q / s / g;
- ``gallerydl_pixiv_{r18,general}``: ``rating`` "R-18" / "General";
- ``gallerydl_bluesky_{labeled,selflabel,post}``: a moderation ``porn`` label, a self-label
  ``nudity`` (the record's selfLabels object), none (only a non-adult profile label).

The safe counterparts are these plus the older samples (YouTube, the twitter/reddit/instagram
kwdicts with ``sensitive``/``over_18`` false).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from boss_bot.core import sensitive
from boss_bot.core.models import MediaFile
from boss_bot.core.tools import gallerydl, ytdlp

RECORDED = Path(__file__).parent / "data" / "recorded"


def _load(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def _file(name: str) -> MediaFile:
    return MediaFile(filename=name, path=Path("/tmp/req") / name, file_type="image",
                     mime_type="image/jpeg", size_bytes=1000)  # fmt: skip


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("ytdlp_twitter_sensitive.info.json", True),
        ("ytdlp_twitter_video.info.json", False),
        ("ytdlp_reddit_nsfw.info.json", True),
        ("ytdlp_reddit_video.info.json", False),
        ("ytdlp_bluesky_nudity.info.json", True),
        ("ytdlp_youtube_video.info.json", False),
        ("ytdlp_youtube_playlist.info.json", False),
    ],
)
def test_recorded_ytdlp_info(fixture: str, expected: bool) -> None:
    info = _load(fixture)
    assert sensitive.from_ytdlp_info(info) is expected
    # Both paths parse through the adapter, after the worker's slimming: the flag survives it.
    meta = ytdlp.metadata_from_info(ytdlp.slim_info(info), [], platform="x", url="u", method="api")
    assert meta.sensitive is expected


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("gallerydl_twitter_sensitive.jpg.json", True),
        ("gallerydl_twitter_video.mp4.json", False),
        ("gallerydl_reddit_nsfw.jpg.json", True),
        ("gallerydl_reddit_image.jpg.json", False),
        ("gallerydl_instagram_post.jpg.json", False),
        ("gallerydl_danbooru_explicit.png.json", True),
        ("gallerydl_danbooru_questionable.jpg.json", True),
        ("gallerydl_danbooru_sensitive.jpg.json", False),
        ("gallerydl_danbooru_general.jpg.json", False),
        ("gallerydl_pixiv_r18.jpg.json", True),
        ("gallerydl_pixiv_general.jpg.json", False),
        ("gallerydl_bluesky_labeled.jpeg.json", True),
        ("gallerydl_bluesky_selflabel.jpeg.json", True),
        ("gallerydl_bluesky_post.jpeg.json", False),
    ],
)
def test_recorded_gallerydl_kwdict(fixture: str, expected: bool) -> None:
    kw = _load(fixture)
    assert sensitive.from_gallerydl_records([kw]) is expected
    meta = gallerydl.metadata_from_records(
        [(_file(fixture.removesuffix(".json")), kw)], platform="x", url="u", method="cli"
    )
    assert meta.sensitive is expected


def test_one_sensitive_file_marks_the_gallery() -> None:
    safe, adult = _load("gallerydl_reddit_image.jpg.json"), _load("gallerydl_reddit_nsfw.jpg.json")
    records = [(_file("a.jpg"), safe), (_file("b.jpg"), adult), (_file("c.jpg"), safe)]
    meta = gallerydl.metadata_from_records(records, platform="reddit", url="u", method="api")
    assert meta.sensitive is True
    alone = gallerydl.metadata_from_records(
        [(_file("a.jpg"), safe)], platform="reddit", url="u", method="api"
    )
    assert alone.sensitive is False
    assert sensitive.from_gallerydl_records([]) is False


def test_one_adult_entry_marks_the_playlist() -> None:
    safe, adult = _load("ytdlp_twitter_video.info.json"), _load("ytdlp_twitter_sensitive.info.json")
    assert sensitive.from_ytdlp_info({"_type": "playlist", "entries": [safe, adult]}) is True
    assert sensitive.from_ytdlp_info({"_type": "playlist", "entries": [safe, None]}) is False
    nested = {"entries": [{"entries": [safe]}, {"entries": [safe, adult]}]}
    assert sensitive.from_ytdlp_info(nested) is True
    # The CLI path joins its per-file info lines into {"entries": [...]}.
    meta = ytdlp.metadata_from_info(
        ytdlp.slim_info({"entries": [safe, adult]}), [], platform="twitter", url="u", method="cli"
    )
    assert meta.sensitive is True


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ({"age_limit": 18}, True),
        ({"age_limit": 21}, True),  # "at least 21 years old" on a generic page
        ({"age_limit": "18"}, True),
        ({"age_limit": 17}, False),  # yt-dlp's "mature" from a <meta name="rating"> table
        ({"age_limit": None}, False),
        ({}, False),
        ({"age_limit": "adult"}, False),  # not a number yt-dlp would write
        ({"extractor_key": "Bluesky", "tags": ["graphic-media"]}, True),
        ({"extractor_key": "Bluesky", "tags": ["!no-unauthenticated"]}, False),
        ({"extractor_key": "Youtube", "tags": ["nudity", "porn"]}, False),  # tags are free text
    ],
)
def test_ytdlp_rules(info: dict[str, Any], expected: bool) -> None:
    assert sensitive.from_ytdlp_info(info) is expected


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"sensitive": True}, True),
        ({"sensitive": None}, False),  # gallery-dl's tweet without the field
        ({"sensitive": "true"}, True),
        ({"sensitive": 1}, False),  # a count, not a flag
        ({"sensitive_flags": ["Violence"]}, True),
        ({"sensitive_flags": []}, False),
        ({"over_18": True}, True),
        ({"over_18": False, "crosspost_parent_list": [{"over_18": True}]}, True),
        ({"rating": "E"}, True),
        ({"rating": "explicit"}, True),  # gelbooru.com's words
        ({"rating": "questionable"}, True),
        ({"rating": "sketchy"}, True),  # szurubooru
        ({"rating": "a"}, True),  # newgrounds "rated-a"
        ({"rating": "m"}, True),  # newgrounds "rated-m"
        ({"rating": "Mature"}, True),  # furaffinity
        ({"rating": "R-18G"}, True),  # pixiv
        ({"rating": "ecchi"}, True),  # iwara
        ({"rating": "pornographic"}, True),  # mangadex
        ({"rating": ["Explicit"]}, True),  # ao3: a list
        ({"rating": ["General Audiences"]}, False),
        ({"rating": "Teen And Up Audiences"}, False),
        ({"rating": "suggestive"}, False),  # mangadex
        ({"rating": "s"}, False),  # safe (moebooru, e621) or sensitive (danbooru)
        ({"rating": "t"}, False),  # newgrounds teen
        ({"rating": "4.52"}, False),  # exhentai's stars
        ({"rating": 4.5}, False),  # allporncomic/mangaread/wikifeet scores
        ({"rating": "?"}, False),
        ({"labels": [{"val": "sexual"}]}, True),
        ({"labels": [{"val": "porn"}, {"val": "porn", "neg": True}]}, False),  # label removed
        ({"labels": [{"val": "!warn"}]}, False),
        ({"labels": {"values": [{"val": "graphic-media"}]}}, True),
        ({"labels": {"values": []}}, False),
        ({"author": {"labels": [{"uri": "did:plc:abc", "val": "porn"}]}}, True),  # account-wide
        ({"author": {"labels": [{"uri": "at://did:plc:abc/app.bsky.actor.profile/self",
                                 "val": "porn"}]}}, False),  # avatar/banner only
        ({"author": {"name": "x"}}, False),
        ({"_parent": {"over_18": True}}, True),  # reddit link post, child extractor's file
        ({"parent": {"sensitive": True}}, True),
        ({"category": "instagram", "likes": 18}, False),
    ],
)  # fmt: skip
def test_gallerydl_rules(kw: dict[str, Any], expected: bool) -> None:
    assert sensitive.from_gallerydl_records([kw]) is expected


def test_adult_and_safe_ratings_do_not_overlap() -> None:
    assert not sensitive.ADULT_RATINGS & sensitive.SAFE_RATINGS


def test_metadata_defaults_to_not_sensitive() -> None:
    meta = ytdlp.metadata_from_info({"id": "x"}, [], platform="generic", url="u", method="api")
    assert meta.sensitive is False
    assert meta.model_dump()["sensitive"] is False
