"""The tool chain for real: yt-dlp and gallery-dl on 127.0.0.1, where the first tool really fails.

Each case runs on the API-direct path (warm workers) and on the CLI path. What the chain did is
read from the attempts the manager records (the job's metrics) and from the server's traffic.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from boss_bot.core.errors import MediaNotFoundError, SiteAPIError
from boss_bot.core.manager import DownloadManager
from boss_bot.core.pipeline import JobResult
from boss_bot.core.store.schema import MetricRow
from boss_bot.core.tools.fallback import ToolAttempt
from tests.bot.pipeline_support import StartPipeline, request, start_pipeline  # noqa: F401
from tests.support.media_server import MediaServer
from tests.support.pages import og_video_page

MakeManager = Callable[..., DownloadManager]
BOTH = ["gallery-dl,yt-dlp"]
PATHS = pytest.mark.parametrize("api", [True, False], ids=["api", "cli"])


@pytest.fixture(scope="module")
def pages(media_server: MediaServer, media_dir: Path) -> dict[str, str]:
    """An og:video page (no gallery-dl extractor), the same page behind a ``.mp4`` URL (read by
    gallery-dl's directlink, which gets HTML), a clip for the crash, and a photo behind a route
    that refuses gallery-dl's User-Agent with a 400."""
    media_server.add_file("fb-clip.mp4", media_dir / "clip.mp4", "video/mp4")
    media_server.add_file("fb-crash.mp4", media_dir / "clip.mp4", "video/mp4")
    media_server.add_file(
        "fb-page.mp4", og_video_page("Page at .mp4", "fb-clip.mp4").encode(), "text/html"
    )
    return {
        "og": media_server.add_page("fb-og.html", og_video_page("OG clip", "fb-clip.mp4")),
        "page_mp4": media_server.url("fb-page.mp4"),
        "crash": media_server.url("fb-crash.mp4"),
        "refused": media_server.url("ua-refuse/boss-gdl-refused/photo.jpg"),
    }


@PATHS
async def test_og_page_gallerydl_cannot_read_is_served_by_ytdlp(
    make_manager: MakeManager, pages: dict[str, str], media_dir: Path, api: bool
) -> None:
    manager = make_manager(generic_tools="gallery-dl,yt-dlp", generic_use_api_client=api)
    tried: list[ToolAttempt] = []
    meta = await manager.download(pages["og"], attempts=tried)
    assert (meta.tool, meta.fallback_tool) == ("yt-dlp", True)
    assert meta.download_method == ("api" if api else "cli")
    assert tried == [("gallery-dl", "unsupported_url", "failed"), ToolAttempt.served("yt-dlp")]
    [f] = meta.files
    assert f.path.read_bytes() == (media_dir / "clip.mp4").read_bytes()


@PATHS
async def test_og_page_with_the_default_order_is_yt_dlps_from_the_start(
    make_manager: MakeManager, pages: dict[str, str], api: bool
) -> None:
    """``auto``: gallery-dl has no extractor for the page, so yt-dlp is the first tool."""
    manager = make_manager(generic_use_api_client=api)
    tried: list[ToolAttempt] = []
    meta = await manager.download(pages["og"], attempts=tried)
    assert (meta.tool, meta.fallback_tool) == ("yt-dlp", False)
    assert tried == [ToolAttempt.served("yt-dlp")]


@PATHS
async def test_directlink_getting_a_web_page_hands_it_to_ytdlp(
    make_manager: MakeManager, pages: dict[str, str], media_server: MediaServer, api: bool
) -> None:
    manager = make_manager(generic_tools="gallery-dl,yt-dlp", generic_use_api_client=api)
    tried: list[ToolAttempt] = []
    meta = await manager.download(pages["page_mp4"], attempts=tried)
    assert (meta.tool, meta.fallback_tool) == ("yt-dlp", True)
    assert tried == [("gallery-dl", "no_media", "failed"), ToolAttempt.served("yt-dlp")]
    assert meta.files[0].file_type == "video"


@PATHS
async def test_a_definitive_answer_from_the_first_tool_stops_the_chain(
    make_manager: MakeManager, media_server: MediaServer, api: bool
) -> None:
    """gallery-dl's directlink gets a 404: yt-dlp (which has an extractor) is never asked."""
    manager = make_manager(generic_tools="gallery-dl,yt-dlp", generic_use_api_client=api)
    path = f"/status/404.jpg?stop-{api}"
    tried: list[ToolAttempt] = []
    with pytest.raises(MediaNotFoundError):
        await manager.download(media_server.url(path), attempts=tried)
    assert tried == [("gallery-dl", "not_found", "definitive")]
    assert [r for r in media_server.requests if r[1] == path] == [("GET", path)]


@PATHS
async def test_a_404_from_ytdlp_first_stops_too(
    make_manager: MakeManager, media_server: MediaServer, api: bool
) -> None:
    manager = make_manager(generic_tools="yt-dlp,gallery-dl", generic_use_api_client=api)
    tried: list[ToolAttempt] = []
    with pytest.raises(MediaNotFoundError):
        await manager.download(media_server.url(f"status/404?first-{api}"), attempts=tried)
    assert tried == [("yt-dlp", "not_found", "definitive")]


@pytest.mark.parametrize(
    ("api", "to_cli", "crash"),
    [(True, True, "tool_failed"), (True, False, "worker_crashed"), (False, True, "tool_failed")],
    ids=["api-then-cli", "api-only", "cli"],
)
async def test_a_crash_of_the_first_tool_moves_on(
    make_manager: MakeManager,
    pages: dict[str, str],
    media_dir: Path,
    tmp_path: Path,
    api: bool,
    to_cli: bool,
    crash: str,
) -> None:
    """gallery-dl kills itself (its own exec post-processor sends SIGKILL to its process, the
    warm worker or the CLI) before downloading; yt-dlp serves the clip."""
    config = tmp_path / "gallery-dl-crash.json"
    kill = {"name": "exec", "event": "prepare", "command": "kill -KILL $PPID"}
    config.write_text(json.dumps({"extractor": {"postprocessors": [kill]}}))
    manager = make_manager(
        generic_tools="gallery-dl,yt-dlp",
        generic_use_api_client=api,
        download_api_fallback_to_cli=to_cli,
        gallery_dl_config_file=config,
    )
    tried: list[ToolAttempt] = []
    meta = await manager.download(pages["crash"], attempts=tried)
    assert (meta.tool, meta.fallback_tool) == ("yt-dlp", True)
    assert tried == [("gallery-dl", crash, "failed"), ToolAttempt.served("yt-dlp")]
    assert meta.files[0].path.read_bytes() == (media_dir / "clip.mp4").read_bytes()


@PATHS
async def test_a_4xx_for_the_first_tool_moves_on(
    make_manager: MakeManager, pages: dict[str, str], media_dir: Path, api: bool
) -> None:
    """The "site" answers gallery-dl (its User-Agent) with 400 Bad Request, yt-dlp with the file."""
    manager = make_manager(
        generic_tools="gallery-dl,yt-dlp",
        generic_use_api_client=api,
        gallery_dl_user_agent="boss-gdl-refused/1.0",
    )
    tried: list[ToolAttempt] = []
    meta = await manager.download(pages["refused"], attempts=tried)
    assert (meta.tool, meta.fallback_tool) == ("yt-dlp", True)
    assert tried == [("gallery-dl", "site_api_error", "failed"), ToolAttempt.served("yt-dlp")]
    assert meta.files[0].path.read_bytes() == (media_dir / "photo.jpg").read_bytes()


async def test_when_every_tool_fails_the_last_telling_error_is_reported(
    make_manager: MakeManager, media_server: MediaServer
) -> None:
    manager = make_manager(generic_tools="gallery-dl,yt-dlp", download_max_attempts=1)
    tried: list[ToolAttempt] = []
    with pytest.raises(SiteAPIError) as info:
        await manager.download(media_server.url("status/400.jpg?both"), attempts=tried)
    assert tried == [("gallery-dl", "site_api_error", "failed"),
                     ("yt-dlp", "site_api_error", "failed")]  # fmt: skip
    assert str(info.value).startswith("yt-dlp")
    assert list(manager.settings.requests_dir.iterdir()) == []


async def test_the_jobs_metrics_row_and_the_counter_say_which_tool(
    start_pipeline: StartPipeline,  # noqa: F811
    pages: dict[str, str],
    media_server: MediaServer,
) -> None:
    pipeline = await start_pipeline(generic_tools="gallery-dl,yt-dlp")
    ok = await pipeline.run(request(pages["og"], upload=False))
    bad = await pipeline.run(request(media_server.url("status/404.jpg?pipeline"), upload=False))
    assert isinstance(ok, JobResult) and ok.outcome == "done", ok.error
    assert isinstance(bad, JobResult) and bad.outcome == "failed"
    async with pipeline.store.engine.connect() as conn:
        rows = {m.job_id: m for m in (await conn.execute(select(MetricRow))).all()}
    served, failed = rows[ok.job.id], rows[bad.job.id]
    assert (served.outcome, served.tool, served.fallback_tool) == ("success", "yt-dlp", True)
    assert served.tool_attempts == [["gallery-dl", "unsupported_url", "failed"],
                                    ["yt-dlp", "success", "success"]]  # fmt: skip
    assert (failed.outcome, failed.tool, failed.fallback_tool) == ("not_found", "gallery-dl", False)
    assert failed.tool_attempts == [["gallery-dl", "not_found", "definitive"]]

    def count(tool: str, outcome: str) -> float:
        labels = {"platform": "generic", "tool": tool, "outcome": outcome}
        return pipeline.telemetry.value("boss_tool_attempts_total", labels)

    assert (count("gallery-dl", "failed"), count("gallery-dl", "definitive")) == (1, 1)
    assert (count("yt-dlp", "success"), count("yt-dlp", "failed")) == (1, 0)
    assert b'boss_tool_attempts_total{outcome="failed",platform="generic",tool="gallery-dl"}' in (
        pipeline.telemetry.render()
    )

    stats = await pipeline.store.metrics.stats(platform="generic")
    by_tool = {t.tool: t for t in stats.tools}
    gdl, ydl = by_tool["gallery-dl"], by_tool["yt-dlp"]
    assert (gdl.jobs, gdl.succeeded, gdl.failed, gdl.answered) == (2, 0, 1, 1)
    assert gdl.failing_since == served.created_at and gdl.last_success is None
    assert (ydl.jobs, ydl.succeeded, ydl.as_fallback, ydl.failing_since) == (1, 1, 1, None)
    assert ydl.last_success == served.created_at


async def test_a_transient_failure_retried_is_counted_once_per_retry(
    start_pipeline: StartPipeline,  # noqa: F811
    media_server: MediaServer,
) -> None:
    pipeline = await start_pipeline(generic_tools="yt-dlp", download_max_attempts=3)
    labels = {"platform": "generic"}
    before = pipeline.telemetry.value("boss_download_retries_total", labels)
    bad = await pipeline.run(request(media_server.url("status/503.mp4?retried"), upload=False))
    assert isinstance(bad, JobResult) and bad.outcome == "failed"
    async with pipeline.store.engine.connect() as conn:
        row = (await conn.execute(select(MetricRow).where(MetricRow.job_id == bad.job.id))).one()
    assert [verdict for _, _, verdict in row.tool_attempts] == ["transient"] * 3
    # Three tries are two retries: the last one ran out of attempts and was not retried.
    assert pipeline.telemetry.value("boss_download_retries_total", labels) - before == 2
