"""The adapters: exact options per strategy, API/CLI equivalence checked by the tools' own
parsers, yt-dlp's real format selection on known formats, and parsing of recorded output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from boss_bot.core.models import DownloadOptions, MediaFile
from boss_bot.core.settings import BossSettings
from boss_bot.core.strategies import strategy_by_name
from boss_bot.core.tools import errors_map, gallerydl, ytdlp

RECORDED = Path(__file__).parent / "data" / "recorded"
MiB = 1024 * 1024


@pytest.fixture
def settings(make_settings: Callable[..., BossSettings]) -> BossSettings:
    return make_settings(max_file_size_mb=200)


# --- yt-dlp --------------------------------------------------------------------------------


def _formats(*specs: tuple[int, float]) -> list[dict[str, Any]]:
    return [
        {
            "format_id": f"{h}p",
            "url": f"https://media.example/{h}.mp4",
            "ext": "mp4",
            "height": h,
            "width": h * 16 // 9,
            "vcodec": "avc1.64001f",
            "acodec": "mp4a.40.2",
            "filesize": int(size),
            "tbr": size * 8 / 60 / 1000,
            "protocol": "https",
        }
        for h, size in specs
    ]


def _select(options: DownloadOptions, formats: list[dict[str, Any]]) -> str:
    """Run yt-dlp's real format selection on an info dict with known formats (no network)."""
    import yt_dlp

    info = {"id": "x", "title": "t", "formats": formats, "extractor": "youtube",
            "extractor_key": "Youtube", "webpage_url": "https://www.youtube.com/watch?v=x"}  # fmt: skip
    params = {"quiet": True, "format": ytdlp.format_selector(options)}
    with yt_dlp.YoutubeDL(params) as ydl:
        return ydl.process_ie_result(info, download=False)["format_id"]


LADDER = _formats((1080, 80 * MiB), (720, 40 * MiB), (480, 9 * MiB), (360, 5 * MiB))


@pytest.mark.parametrize(
    ("quality", "budget", "expected"),
    [
        ("720p", None, "720p"),  # no budget: the requested height
        ("best", None, "1080p"),
        ("720p", 50 * MiB, "720p"),  # 720p already fits
        ("720p", 10 * MiB, "480p"),  # 720p is too big, 480p fits: no re-encode needed
        ("720p", 6 * MiB, "360p"),
        ("1080p", 10 * MiB, "480p"),
        ("720p", 1 * MiB, "720p"),  # nothing fits: best at the height, compression follows
    ],
)
def test_quality_ladder_prefers_a_format_that_fits(
    quality: str, budget: int | None, expected: str
) -> None:
    options = DownloadOptions(quality=quality, size_budget_bytes=budget)  # type: ignore[arg-type]
    assert _select(options, LADDER) == expected


def test_split_streams_are_merged_within_budget() -> None:
    video = [
        {"format_id": f"v{h}", "url": f"https://m.example/v{h}", "ext": "mp4", "height": h,
         "vcodec": "avc1", "acodec": "none", "filesize": int(s), "protocol": "https"}
        for h, s in ((720, 30 * MiB), (480, 8 * MiB))
    ] + [{"format_id": "a", "url": "https://m.example/a", "ext": "m4a", "vcodec": "none",
          "acodec": "mp4a.40.2", "filesize": 1 * MiB, "protocol": "https"}]  # fmt: skip
    assert _select(DownloadOptions(quality="720p", size_budget_bytes=10 * MiB), video) == "v480+a"


def test_audio_only_selects_audio() -> None:
    formats = [*LADDER, {"format_id": "aud", "url": "https://m.example/a", "ext": "m4a",
                         "vcodec": "none", "acodec": "mp4a.40.2", "filesize": 3 * MiB,
                         "protocol": "https"}]  # fmt: skip
    assert _select(DownloadOptions(audio_only=True), formats) == "aud"


def test_youtube_api_params(settings: BossSettings, tmp_path: Path) -> None:
    yt = strategy_by_name("youtube")
    single = ytdlp.api_params(settings, DownloadOptions(), tmp_path, yt.ytdlp_options)
    assert single["noplaylist"] is True
    assert single["paths"] == {"home": str(tmp_path), "temp": str(tmp_path)}
    assert single["max_filesize"] == 200 * MiB
    assert single["merge_output_format"] == "mp4"
    assert "playlistend" not in single
    playlist = ytdlp.api_params(
        settings, DownloadOptions(playlist=True, max_items=5), tmp_path, yt.ytdlp_options
    )
    assert playlist["noplaylist"] is False, "the request's playlist wish beats the default"
    assert playlist["playlistend"] == 5
    assert playlist["outtmpl"]["default"].startswith("%(playlist_index)03d")
    audio = ytdlp.api_params(settings, DownloadOptions(audio_only=True), tmp_path)
    assert audio["postprocessors"][0]["key"] == "FFmpegExtractAudio"
    assert "merge_output_format" not in audio


@pytest.mark.parametrize(
    "options",
    [
        DownloadOptions(),
        DownloadOptions(quality="480p", size_budget_bytes=10 * MiB),
        DownloadOptions(playlist=True, max_items=3),
        DownloadOptions(audio_only=True),
    ],
)
def test_ytdlp_cli_means_the_same_as_api_params(
    settings: BossSettings, tmp_path: Path, options: DownloadOptions
) -> None:
    """Parse the CLI arguments with yt-dlp's own option parser and compare with the API dict."""
    import yt_dlp

    url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    args = ytdlp.cli_args(settings, options, tmp_path, url)
    assert args[1:3] == ["-m", "yt_dlp"] and args[-2:] == ["--", url]
    parsed = yt_dlp.parse_options(args[3:])
    api = ytdlp.api_params(settings, options, tmp_path)
    got = parsed.ydl_opts
    assert parsed.urls == [url]
    for key in ("format", "max_filesize", "noplaylist", "socket_timeout", "retries",
                "merge_output_format", "playlistend"):  # fmt: skip
        assert got.get(key) == api.get(key), key
    assert got["outtmpl"]["default"] == api["outtmpl"]["default"]
    assert got["paths"] == api["paths"]
    assert got["format_sort"] == api["format_sort"]


def test_leading_dash_url_stays_an_argument(settings: BossSettings, tmp_path: Path) -> None:
    import yt_dlp

    args = ytdlp.cli_args(settings, DownloadOptions(), tmp_path, "-o/etc/passwd")
    assert yt_dlp.parse_options(args[3:]).urls == ["-o/etc/passwd"]


def test_parse_recorded_youtube_video() -> None:
    info = json.loads((RECORDED / "ytdlp_youtube_video.info.json").read_text())
    slim = ytdlp.slim_info(info)
    assert "formats" not in slim
    assert ytdlp.requested_files(info) == [Path("/tmp/req/Example Video Title [dQw4w9WgXcQ].mp4")]
    f = MediaFile(filename="v.mp4", path=Path("/tmp/v.mp4"), file_type="video",
                  mime_type="video/mp4", size_bytes=13_683_535)  # fmt: skip
    meta = ytdlp.metadata_from_info(
        slim, [f], platform="youtube", url=info["webpage_url"], method="api"
    )
    assert (meta.id, meta.title, meta.author) == ("dQw4w9WgXcQ", "Example Video Title",
                                                   "Example Channel")  # fmt: skip
    assert meta.duration == 212 and meta.quality == "720p"
    assert (meta.view_count, meta.like_count, meta.comment_count) == (
        1_700_000_000, 18_000_000, 2_400_000)  # fmt: skip
    assert meta.platform_data["channel_id"] == "UCuAXFkgsw1L7xaCfnd5JJOw"
    assert meta.size_bytes == 13_683_535


def test_parse_recorded_youtube_playlist() -> None:
    info = json.loads((RECORDED / "ytdlp_youtube_playlist.info.json").read_text())
    assert [p.name for p in ytdlp.requested_files(info)] == [
        "001 First [aaaaaaaaaaa].mp4", "002 Second [bbbbbbbbbbb].mp4"]  # fmt: skip
    meta = ytdlp.metadata_from_info(info, [], platform="youtube", url="u", method="cli")
    assert meta.title == "Example Playlist" and meta.duration == 156.5
    assert meta.platform_data["entries"] == 2


# --- gallery-dl ----------------------------------------------------------------------------


def test_twitter_gallerydl_entries(settings: BossSettings, tmp_path: Path) -> None:
    tw = strategy_by_name("twitter")
    entries = gallerydl.config_entries(
        settings, DownloadOptions(max_items=4), tmp_path,
        category="twitter", category_options=tw.gallery_dl_options,
    )  # fmt: skip
    table = {(path, key): value for path, key, value in entries}
    assert table[((), "base-directory")] == str(tmp_path)
    assert table[((), "directory")] == []
    assert table[((), "filesize-max")] == str(200 * MiB)
    assert table[((), "file-range")] == "1-4"
    assert table[(("extractor", "twitter"), "videos")] is True
    assert table[(("extractor", "twitter"), "retweets")] is False


def test_cookies_and_user_agent_reach_gallerydl(
    make_settings: Callable[..., BossSettings], tmp_path: Path
) -> None:
    s = make_settings(gallery_dl_cookies_file=tmp_path / "c.txt", gallery_dl_user_agent="UA/1")
    table = {(p, k): v for p, k, v in gallerydl.config_entries(s, DownloadOptions(), tmp_path)}
    assert table[((), "cookies")] == str(tmp_path / "c.txt")
    assert table[((), "user-agent")] == "UA/1"
    s = make_settings(gallery_dl_cookies_from_browser="firefox")
    table = {(p, k): v for p, k, v in gallerydl.config_entries(s, DownloadOptions(), tmp_path)}
    assert table[((), "cookies")] == ["firefox"]


def test_gallerydl_cli_sets_the_same_config(settings: BossSettings, tmp_path: Path) -> None:
    """gallery-dl's own parser turns the CLI arguments back into the same config entries."""
    from gallery_dl import option

    ig = strategy_by_name("instagram")
    entries = gallerydl.config_entries(
        settings, DownloadOptions(max_items=2), tmp_path,
        category="instagram", category_options=ig.gallery_dl_options,
    )  # fmt: skip
    url = "https://www.instagram.com/p/CxYzAbCdEfG/"
    args = gallerydl.cli_args(settings, entries, url)
    assert args[-2:] == ["--", url]
    parsed = option.build_parser().parse_args(args[3:])
    assert parsed.urls == [url]
    assert parsed.config_load is False  # --config-ignore: no machine-local config
    got = {(tuple(path), key): value for path, key, value in parsed.options}
    assert got == {(path, key): value for path, key, value in entries}


def _media(name: str, size: int) -> MediaFile:
    return MediaFile.from_path(Path(name)) if Path(name).exists() else MediaFile(
        filename=name, path=Path(name), file_type="video" if name.endswith("mp4") else "image",
        mime_type="application/octet-stream", size_bytes=size)  # fmt: skip


@pytest.mark.parametrize(
    ("fixture", "platform", "expected"),
    [
        ("gallerydl_twitter_video.mp4.json", "twitter",
         {"id": "1234567890123456789", "author": "example_user", "like_count": 4242,
          "repost_count": 321, "comment_count": 77, "view_count": 98765,
          "title": "Look at this clip https://t.co/abcdef"}),
        ("gallerydl_reddit_image.jpg.json", "reddit",
         {"id": "1abcxyz", "author": "example_redditor", "title": "My cat found the sun",
          "like_count": 5123, "comment_count": 87}),
        ("gallerydl_instagram_post.jpg.json", "instagram",
         {"id": "CxYzAbCdEfG", "author": "example.photos", "like_count": 1203,
          "title": "Sunset over the bay #sunset"}),
    ],
)  # fmt: skip
def test_parse_recorded_gallerydl_metadata(
    fixture: str, platform: str, expected: dict[str, Any]
) -> None:
    kwdict = json.loads((RECORDED / fixture).read_text())
    meta = gallerydl.metadata_from_records(
        [(_media(fixture.removesuffix(".json"), 1000), kwdict)],
        platform=platform, url="u", method="cli",
    )  # fmt: skip
    for key, value in expected.items():
        assert getattr(meta, key) == value, key
    assert meta.platform_data["category"] == platform
    assert meta.tool == "gallery-dl"


# --- error text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "retryable"),
    [
        ("ERROR: [youtube] x: Private video. Sign in if you've been granted access", "access_denied", False),
        ("ERROR: [youtube] x: Video unavailable. This video has been removed by the uploader", "not_found", False),
        ("ERROR: [generic] Unable to download webpage: HTTP Error 404: Not Found", "not_found", False),
        ("ERROR: The uploader has not made this video available in your country", "geo_blocked", False),
        ("[downloader.http][warning] '503 Service Unavailable' for 'http://x/a.jpg'", "network", True),
        ("ERROR: Unable to download webpage: HTTP Error 429: Too Many Requests", "network", True),
        ("[twitter][error] AuthorizationError: Login required", "access_denied", False),
        ("[downloader.http][warning] '403 Forbidden' for 'https://x/a.jpg'", "access_denied", False),
        ("ERROR: Unsupported URL: https://example.com/", "unsupported_url", False),
        ("ERROR: something nobody has seen before", "download_failed", False),
    ],
)  # fmt: skip
def test_error_classification(text: str, code: str, retryable: bool) -> None:
    error = errors_map.classify("tool", text)
    assert error.code == code
    assert getattr(error, "retryable", False) is retryable
    assert error.user_message and "Traceback" not in error.user_message
