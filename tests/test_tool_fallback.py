"""The tool chain's decisions, without downloading: recorded failures of both tools classified
and decided, the decision table over the error tree, the default tool order of every platform
checked against the installed tools' extractors, the settings, and the worker's probe."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from boss_bot.core.errors import (
    AccessDeniedError,
    BlockedURLError,
    BossBotError,
    CorruptMediaError,
    DiskBudgetError,
    DownloadError,
    DownloadTimeoutError,
    ExternalToolError,
    ExtractorError,
    FileTooLargeError,
    GeoBlockedError,
    MediaNotFoundError,
    MediaTooLongError,
    NetworkError,
    NoMediaFoundError,
    PlaceholderMediaError,
    SiteAPIError,
    UnsupportedURLError,
    WorkerCrashedError,
)
from boss_bot.core.manager.chain import url_override
from boss_bot.core.manager.cli import classify_exit
from boss_bot.core.manager.context import is_direct_av
from boss_bot.core.manager.probe import ToolProbe
from boss_bot.core.settings import BossSettings
from boss_bot.core.strategies import strategy_for
from boss_bot.core.tools import errors_map
from boss_bot.core.tools.fallback import (
    ToolAttempt,
    decide,
    may_follow,
    ordered,
    owns,
    planned,
    resolve_auto,
    telling,
)
from boss_bot.core.urls import normalise_url
from boss_bot.core.workers import child
from boss_bot.core.workers.pool import WorkerPool
from tests.test_routing import ROUTES

FAILURES = Path(__file__).parent / "data" / "recorded" / "failures"


class Recorded(NamedTuple):
    file: str
    #: The extractor the tool used (owner or catch-all), for "no media found".
    extractor: str | None
    returncode: int | None  # the CLI's exit status (None: the worker's reply)
    code: str
    decision: str


RECORDED = [
    # gallery-dl
    Recorded("gallerydl_extractor_error.cli.txt", "twitter:tweet", 1, "extractor_error", "next_tool"),
    Recorded("gallerydl_extractor_error.api.txt", "twitter:tweet", None, "extractor_error", "next_tool"),
    Recorded("gallerydl_extractor_abort.cli.txt", "tiktok:user", 4, "extractor_error", "next_tool"),
    Recorded("gallerydl_extractor_json.cli.txt", "instagram:post", 1, "extractor_error", "next_tool"),
    Recorded("gallerydl_unsupported.cli.txt", None, 64, "unsupported_url", "next_tool"),
    Recorded("gallerydl_unsupported.api.txt", None, None, "unsupported_url", "next_tool"),
    Recorded("gallerydl_api_4xx.cli.txt", "twitter:tweet", 4, "site_api_error", "next_tool"),
    Recorded("gallerydl_api_4xx_bluesky.cli.txt", "bluesky:post", 4, "site_api_error", "next_tool"),
    Recorded("gallerydl_http_400.cli.txt", "directlink:x", 4, "site_api_error", "next_tool"),
    Recorded("gallerydl_http_400.api.txt", "directlink:x", None, "site_api_error", "next_tool"),
    Recorded("gallerydl_killed.cli.txt", "directlink:x", -9, "tool_failed", "next_tool"),
    Recorded("gallerydl_html_response.cli.txt", "directlink:x", 4, "no_media", "next_tool"),
    Recorded("gallerydl_private.cli.txt", "twitter:tweet", 16, "access_denied", "stop"),
    Recorded("gallerydl_private.api.txt", "twitter:timeline", None, "access_denied", "stop"),
    Recorded("gallerydl_removed.cli.txt", "tiktok:post", 8, "not_found", "stop"),
    Recorded("gallerydl_http_404.cli.txt", "directlink:x", 4, "not_found", "stop"),
    Recorded("gallerydl_http_410.api.txt", "directlink:x", None, "not_found", "stop"),
    Recorded("gallerydl_geo_blocked.cli.txt", "directlink:x", 4, "geo_blocked", "stop"),
    # yt-dlp
    Recorded("ytdlp_extractor_error.cli.txt", "twitter", 1, "extractor_error", "next_tool"),
    Recorded("ytdlp_extractor_error.api.txt", "Instagram", None, "extractor_error", "next_tool"),
    Recorded("ytdlp_extractor_keyerror.cli.txt", "Reddit", 1, "extractor_error", "next_tool"),
    Recorded("ytdlp_unsupported.cli.txt", "generic", 1, "no_media", "next_tool"),
    Recorded("ytdlp_unsupported.api.txt", "generic", None, "no_media", "next_tool"),
    Recorded("ytdlp_api_4xx.cli.txt", "twitter", 1, "site_api_error", "next_tool"),
    Recorded("ytdlp_http_400.api.txt", "generic", None, "site_api_error", "next_tool"),
    Recorded("ytdlp_private.cli.txt", "twitter", 1, "access_denied", "stop"),
    Recorded("ytdlp_private.api.txt", "youtube", None, "access_denied", "stop"),
    Recorded("ytdlp_removed.cli.txt", "twitter", 1, "not_found", "stop"),
    Recorded("ytdlp_removed.api.txt", "youtube", None, "not_found", "stop"),
    Recorded("ytdlp_http_404.cli.txt", "generic", 1, "not_found", "stop"),
    Recorded("ytdlp_http_410.cli.txt", "generic", 1, "not_found", "stop"),
    Recorded("ytdlp_geo_blocked.cli.txt", "youtube", 1, "geo_blocked", "stop"),
    Recorded("ytdlp_geo_blocked.api.txt", "ZDF", None, "geo_blocked", "stop"),
    Recorded("ytdlp_http_451.cli.txt", "generic", 1, "geo_blocked", "stop"),
    Recorded("ytdlp_no_media_owner.cli.txt", "twitter", 1, "no_media", "stop"),
]  # fmt: skip


def _classified(r: Recorded) -> BossBotError:
    """The error a path makes of this output: the CLI's exit classification, or the worker
    reply's (both end in errors_map, as the paths do)."""
    tool = "gallery-dl" if r.file.startswith("gallerydl") else "yt-dlp"
    text = (FAILURES / r.file).read_text(encoding="utf-8")
    if r.returncode is None:
        return errors_map.from_output(tool, text, None)
    return classify_exit(ExternalToolError(tool, r.returncode, text))


def test_every_recorded_file_is_in_the_table_and_both_tools_cover_each_class() -> None:
    files = {p.name for p in FAILURES.glob("*.txt")}
    assert files == {r.file for r in RECORDED}
    for code in ("extractor_error", "site_api_error", "access_denied", "not_found", "geo_blocked"):
        tools = {r.file.split("_")[0] for r in RECORDED if r.code == code}
        assert tools == {"gallerydl", "ytdlp"}, code
    unsupported = {r.file.split("_")[0] for r in RECORDED if "unsupported" in r.file}
    assert unsupported == {"gallerydl", "ytdlp"}


@pytest.mark.parametrize("r", RECORDED, ids=[r.file for r in RECORDED])
def test_recorded_failure_is_classified_and_decided(r: Recorded) -> None:
    tool = "gallery-dl" if r.file.startswith("gallerydl") else "yt-dlp"
    error = _classified(r)
    assert error.code == r.code, (str(error), error.user_message)
    assert decide(error, owner=owns(tool, r.extractor)) == r.decision
    assert error.user_message and "Traceback" not in error.user_message


@pytest.mark.parametrize(
    ("error", "owner", "decision"),
    [
        (ExtractorError("x"), True, "next_tool"),
        (SiteAPIError("x"), True, "next_tool"),
        (WorkerCrashedError("worker died"), True, "next_tool"),
        (ExternalToolError("gallery-dl", -9, ""), True, "next_tool"),
        (DownloadError("gallery-dl: something new"), True, "next_tool"),
        (UnsupportedURLError("x"), True, "next_tool"),
        (NoMediaFoundError("x"), False, "next_tool"),
        (NoMediaFoundError("x"), True, "stop"),
        (AccessDeniedError("x"), False, "stop"),
        (MediaNotFoundError("x"), False, "stop"),
        (GeoBlockedError("x"), False, "stop"),
        (FileTooLargeError("x"), False, "stop"),
        (MediaTooLongError("x"), False, "stop"),
        (BlockedURLError("x"), False, "stop"),
        (CorruptMediaError("x"), False, "stop"),
        (PlaceholderMediaError("x"), False, "stop"),
        (NetworkError("x"), False, "retry"),
        (DownloadTimeoutError("x"), False, "retry"),
        (DiskBudgetError("x"), False, "retry"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_decision_table(error: BossBotError, owner: bool, decision: str) -> None:
    assert decide(error, owner=owner) == decision


def test_what_counts_as_owning_a_site() -> None:
    assert owns("gallery-dl", "twitter:tweet") and owns("yt-dlp", "Twitter")
    assert not owns("gallery-dl", "directlink:example.com") and not owns("yt-dlp", "generic")
    assert not owns("gallery-dl", None) and not owns("yt-dlp", None)


def test_the_telling_error_when_every_tool_moved_on() -> None:
    broken = ExtractorError("gallery-dl: KeyError")
    shrug = NoMediaFoundError("yt-dlp: Unsupported URL")
    assert telling([(broken, True), (shrug, False)]) is broken
    assert telling([(UnsupportedURLError("gdl"), False), (shrug, False)]) is shrug
    api = SiteAPIError("yt-dlp: 400")
    assert telling([(broken, True), (api, True)]) is api
    empty = NoMediaFoundError("yt-dlp: Did not get any data blocks")
    crash = ExternalToolError("gallery-dl", 4, "[download][error] Failed to download zero.mp4")
    assert telling([(empty, False), (crash, False)]) is empty  # a crash says least
    assert telling([(crash, False), (WorkerCrashedError("died"), False)]).code == "worker_crashed"


def test_attempt_records_say_who_is_to_blame() -> None:
    assert ToolAttempt.served("yt-dlp") == ("yt-dlp", "success", "success")
    assert ToolAttempt.failed("gallery-dl", ExtractorError("x"), "next_tool").verdict == "failed"
    assert ToolAttempt.failed("gallery-dl", MediaNotFoundError("x"), "stop").verdict == "definitive"
    assert ToolAttempt.failed("yt-dlp", NetworkError("x"), "retry") == (
        "yt-dlp", "network", "transient",
    )  # fmt: skip


# --- the order of the tools --------------------------------------------------------------


def test_order_helpers() -> None:
    assert ordered(("gallery-dl", "yt-dlp"), None) == ("gallery-dl", "yt-dlp")
    assert ordered(("gallery-dl", "yt-dlp"), "yt-dlp") == ("yt-dlp", "gallery-dl")
    assert ordered(("gallery-dl",), "yt-dlp") == ("gallery-dl",)  # the operator's set wins
    assert ordered(("auto",), "yt-dlp") == ("auto",)
    assert resolve_auto(True, None) == ("yt-dlp", "gallery-dl")
    assert resolve_auto(False, None) == ("gallery-dl", "yt-dlp")
    assert resolve_auto(False, {"gallery-dl": None, "yt-dlp": "generic"})[0] == "yt-dlp"
    assert may_follow("yt-dlp", None, generic=False)
    assert may_follow("yt-dlp", {"yt-dlp": "generic"}, generic=True)
    assert not may_follow("yt-dlp", {"yt-dlp": "generic"}, generic=False)
    assert not may_follow("gallery-dl", {"gallery-dl": None}, generic=True)


def _extractors(url: str) -> dict[str, str | None]:
    """What the worker's probe answers, computed here with the same functions."""
    return {"gallery-dl": child._gallerydl_extractor(url), "yt-dlp": child._ytdlp_extractor(url)}


def _chain(settings: BossSettings, url: str) -> tuple[str, ...]:
    strategy = strategy_for(url)
    target = strategy.canonical_url(normalise_url(url))
    return planned(
        settings.tool_order(strategy.name),
        url_override(strategy, target),
        direct_av=is_direct_av(target),
        extractors=_extractors(target),
        generic=strategy.name == "generic",
    )


#: The default chain per platform and URL shape (the installed tools' extractors decide which
#: second tool is left in).
DEFAULT_CHAINS = [
    ("https://x.com/SpaceX/status/1234567890123456789", ("gallery-dl", "yt-dlp")),
    ("https://vxtwitter.com/jack/status/20", ("gallery-dl", "yt-dlp")),
    ("https://x.com/jack/media", ("gallery-dl",)),
    ("https://pbs.twimg.com/media/GAbC12xWwAAdEf3?format=jpg&name=large", ("gallery-dl",)),
    ("https://www.reddit.com/r/videos/comments/1abc2de/title/", ("gallery-dl", "yt-dlp")),
    ("https://www.reddit.com/gallery/1abc2de", ("gallery-dl",)),
    ("https://i.redd.it/q1w2e3r4t5.jpg", ("gallery-dl",)),
    ("https://v.redd.it/x9y8z7w6v5", ("yt-dlp",)),
    ("https://www.instagram.com/p/CxYz123AbC-/", ("gallery-dl", "yt-dlp")),
    ("https://www.instagram.com/reel/C_aBcDeFgHi/", ("gallery-dl", "yt-dlp")),
    ("https://www.instagram.com/share/p/BAbCdEf12/", ("gallery-dl",)),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", ("yt-dlp",)),
    ("https://youtu.be/dQw4w9WgXcQ", ("yt-dlp",)),
    ("https://www.tiktok.com/@scout2015/video/6718335390845095173", ("gallery-dl", "yt-dlp")),
    ("https://www.tiktok.com/@hara_yoimiya/photo/7253412088251534594", ("gallery-dl",)),
    ("https://vm.tiktok.com/ZMeAbCdEf/", ("gallery-dl", "yt-dlp")),
    ("https://www.tiktok.com/embed/6718335390845095173", ("yt-dlp",)),
    ("https://www.tiktok.com/@weathernewslive/live", ("yt-dlp",)),
    ("https://bsky.app/profile/bsky.app/post/3l6oveex3ii2l", ("gallery-dl", "yt-dlp")),
    ("https://bsky.app/profile/bsky.app", ("gallery-dl",)),
    ("https://video.bsky.app/watch/did%3Aplc%3Az72i7hdynmk6r22z27h6tvur/bafkreihx/playlist.m3u8",
     ("yt-dlp",)),
    ("https://example.com/video.mp4", ("yt-dlp", "gallery-dl")),
    ("https://imgur.com/gallery/AbCdEfG", ("gallery-dl", "yt-dlp")),
    ("https://example.com/photo.jpg", ("gallery-dl", "yt-dlp")),
    ("https://vimeo.com/76979871", ("yt-dlp",)),
    ("https://evil.example/", ("yt-dlp",)),
]  # fmt: skip


@pytest.mark.parametrize(("url", "chain"), DEFAULT_CHAINS, ids=[u for u, _ in DEFAULT_CHAINS])
def test_default_chain(make_settings: Callable[..., BossSettings], url: str, chain: tuple) -> None:
    assert _chain(make_settings(), url) == chain


def test_defaults_keep_todays_first_tool_for_every_routing_row(
    make_settings: Callable[..., BossSettings],
) -> None:
    """Before the chain, each URL went to one tool (the routing table's column): it still goes
    there first, and a second tool is only ever one with an extractor for the URL."""
    settings = make_settings()
    for route in ROUTES:
        chain = _chain(settings, route.url)
        if route.tool == "auto":
            assert set(chain) <= {"gallery-dl", "yt-dlp"}, route
        else:
            assert chain[0] == route.tool, (route, chain)
        assert len(set(chain)) == len(chain), route


def test_the_environment_orders_the_tools(
    make_settings: Callable[..., BossSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWITTER_TOOLS", "yt-dlp, gallery-dl")
    monkeypatch.setenv("REDDIT_TOOLS", "gallery-dl")
    monkeypatch.setenv("GENERIC_TOOLS", "gallery-dl,yt-dlp")
    settings = BossSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.tool_order("twitter") == ("yt-dlp", "gallery-dl")
    assert _chain(settings, "https://x.com/jack/status/20") == ("yt-dlp", "gallery-dl")
    assert _chain(settings, "https://v.redd.it/x9y8z7w6v5") == ("gallery-dl",)
    assert _chain(settings, "https://evil.example/page.html") == ("gallery-dl", "yt-dlp")
    assert _chain(settings, "https://example.com/video.mp4") == ("gallery-dl", "yt-dlp")
    assert settings.tool_order("something-else") == ("gallery-dl", "yt-dlp")  # generic's


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("gallery-dl,curl", "unknown tool 'curl'"),
        ("yt-dlp,yt-dlp", "named once"),
        (",", "at least one tool"),
        ("auto,yt-dlp", "unknown tool 'auto'"),
    ],
)
def test_a_bad_tool_order_is_one_readable_line(
    monkeypatch: pytest.MonkeyPatch, value: str, fragment: str
) -> None:
    from pydantic import ValidationError

    from boss_bot.core.settings import format_validation_error

    monkeypatch.setenv("TIKTOK_TOOLS", value)
    with pytest.raises(ValidationError) as info:
        BossSettings(_env_file=None)  # type: ignore[call-arg]
    text = format_validation_error(info.value)
    assert "TIKTOK_TOOLS" in text and fragment in text


# --- the probe, in a real warm worker ----------------------------------------------------


async def test_the_probe_asks_a_worker_once_per_url(worker_pool: WorkerPool) -> None:
    started: list[int] = []

    async def start() -> None:
        started.append(1)

    probe = ToolProbe(worker_pool, start, size=2)
    tweet = "https://x.com/jack/status/20"
    assert await probe.extractors(tweet) == {"gallery-dl": "twitter:tweet", "yt-dlp": "twitter"}
    page = "http://127.0.0.1:9/page/og.html"
    assert await probe.extractors(page) == {"gallery-dl": None, "yt-dlp": "generic"}
    jobs_before = sum(1 for _ in started)
    assert await probe.extractors(tweet) == {"gallery-dl": "twitter:tweet", "yt-dlp": "twitter"}
    assert len(started) == jobs_before  # answered from the cache
    await probe.extractors("https://example.com/a.jpg")  # a third URL: the oldest goes
    assert list(probe._cache) == [tweet, "https://example.com/a.jpg"]


async def test_no_worker_no_answer() -> None:
    broken = WorkerPool(1, child_argv=["python3", "-c", "import sys; sys.exit(3)"])
    try:

        async def start() -> None:
            await broken.start()

        assert await ToolProbe(broken, start).extractors("https://x.com/jack/status/20") is None
    finally:
        await broken.close()


def test_the_tool_counter_keeps_its_labels_bounded() -> None:
    from boss_bot.core.jobs import JobMetrics
    from boss_bot.core.telemetry import Telemetry

    telemetry = Telemetry()
    attempts = (ToolAttempt("gallery-dl", "extractor_error", "failed"),
                ToolAttempt("curl", "success", "success"),
                ToolAttempt("yt-dlp", "x", "odd"))  # type: ignore[arg-type]  # fmt: skip
    telemetry.observe_job(JobMetrics("j1", "mastodon", "success", tool_attempts=attempts))

    def count(platform: str, tool: str, outcome: str) -> float:
        labels = {"platform": platform, "tool": tool, "outcome": outcome}
        return telemetry.value("boss_tool_attempts_total", labels)

    assert count("other", "gallery-dl", "failed") == 1
    assert count("other", "other", "success") == 1 and count("other", "yt-dlp", "other") == 1
