"""Sensitive media through the pipeline, with the real yt-dlp reading a local page that
carries the RTA label (its generic extractor reports ``age_limit`` 18 for it).

The edge decides per request what happens to sensitive media where it will be posted
(``on_sensitive``); the pipeline records whether the media was sensitive and applies that.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from boss_bot.core.pipeline import Attachment, JobResult
from tests.bot.pipeline_support import RecordingUploader, StartPipeline, request
from tests.support.media_server import MediaServer
from tests.support.pages import og_video_page


@pytest.fixture(scope="module")
def pages(media_server: MediaServer, media_dir: Path) -> dict[str, str]:
    for name in ("pipe-rta.mp4", "pipe-plain.mp4"):
        media_server.add_file(name, media_dir / "clip.mp4", "video/mp4")
    return {
        "rta": media_server.add_page(
            "pipe-rta.html", og_video_page("Adult clip", "pipe-rta.mp4", rta=True)
        ),
        "plain": media_server.add_page("pipe-plain.html", og_video_page("Clip", "pipe-plain.mp4")),
    }


async def _run(
    start_pipeline: StartPipeline, url: str, **kw: object
) -> tuple[JobResult, RecordingUploader]:
    pipeline = await start_pipeline()
    uploader = RecordingUploader(10 * 2**20)
    result = await pipeline.run(request(url, **kw), attachment=Attachment(uploader))
    assert isinstance(result, JobResult)
    return result, uploader


async def test_blocked_sensitive_media_is_neither_posted_nor_kept(
    start_pipeline: StartPipeline, pages: dict[str, str]
) -> None:
    result, uploader = await _run(start_pipeline, pages["rta"], on_sensitive="block")
    assert result.outcome == "failed" and result.error is not None
    assert result.error.code == "sensitive"
    assert result.error.user_message == (
        "That media is marked as sensitive: ask in an age-restricted channel."
    )
    assert uploader.batches == []
    assert result.saved_files == [] and result.saved_to is None
    assert result.job.sensitive is True and result.job.error_code == "sensitive"


@pytest.mark.parametrize(("action", "spoiler"), [("spoiler", True), ("post", False)])
async def test_sensitive_media_is_spoilered_or_posted_as_the_edge_says(
    start_pipeline: StartPipeline, pages: dict[str, str], action: str, spoiler: bool
) -> None:
    result, uploader = await _run(start_pipeline, pages["rta"], on_sensitive=action)
    assert result.outcome == "done", result.error
    assert [b.spoiler for b in uploader.batches] == [spoiler]
    assert result.sensitive is True and result.spoilered is spoiler
    assert result.job.sensitive is True


async def test_plain_media_is_never_blocked_and_spoilered_only_when_asked(
    start_pipeline: StartPipeline, pages: dict[str, str]
) -> None:
    result, uploader = await _run(start_pipeline, pages["plain"], on_sensitive="block")
    assert result.outcome == "done" and [b.spoiler for b in uploader.batches] == [False]
    assert result.job.sensitive is False
    asked, uploader = await _run(start_pipeline, pages["plain"], spoiler=True, force=True)
    assert asked.outcome == "done" and [b.spoiler for b in uploader.batches] == [True]
    assert uploader.batches[-1].last and uploader.batches[-1].job_id == asked.job.id


async def test_archive_only_keeps_sensitive_media_and_records_it(
    start_pipeline: StartPipeline, pages: dict[str, str]
) -> None:
    pipeline = await start_pipeline()
    result = await pipeline.run(request(pages["rta"], upload=False, on_sensitive="block"))
    assert isinstance(result, JobResult) and result.outcome == "done"
    assert len(result.saved_files) == 1 and result.saved_files[0].exists()
    assert result.job.sensitive is True
