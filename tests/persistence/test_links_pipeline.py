"""A file over the limit with links on (PUBLIC_BASE_URL): the server's ``too_big`` decides
between compressing (then, if nothing watchable fits, a link), a link only, or both."""

from __future__ import annotations

import pytest

from boss_bot.core.pipeline import Attachment, JobResult
from tests.bot.pipeline_support import RecordingUploader, StartPipeline, request
from tests.support.media_server import MediaServer

LINKS = {"public_base_url": "https://media.example.org", "link_secret": "k" * 40}
KIB = 1024


async def _run(
    start_pipeline: StartPipeline, url: str, limit: int, **kw: object
) -> tuple[JobResult, RecordingUploader]:
    pipeline = await start_pipeline(upload_allow_split=False, **LINKS)
    uploader = RecordingUploader(limit)
    result = await pipeline.run(request(url, **kw), attachment=Attachment(uploader))
    assert isinstance(result, JobResult)
    return result, uploader


async def test_link_mode_posts_the_original_as_a_link_without_re_encoding(
    start_pipeline: StartPipeline, media_server: MediaServer
) -> None:
    result, uploader = await _run(start_pipeline, media_server.url("big.mp4"), 512 * KIB,
                                  too_big="link")  # fmt: skip
    assert result.outcome == "done", result.error
    [batch] = uploader.batches
    assert batch.files == () and batch.last
    [(name, url, size)] = batch.links
    assert name.endswith(".mp4") and url.startswith("https://media.example.org/f/")
    assert size == len(media_server.files["big.mp4"].data)  # the original bytes, kept whole
    [report] = result.files
    assert report.method == "link"


async def test_both_posts_the_fitted_file_and_a_link(
    start_pipeline: StartPipeline, media_server: MediaServer
) -> None:
    result, uploader = await _run(start_pipeline, media_server.url("big.mp4"), 512 * KIB,
                                  too_big="both")  # fmt: skip
    assert result.outcome == "done", result.error
    fitted, links = uploader.batches
    assert [f.size_bytes <= 512 * KIB for f in fitted.files] == [True]
    assert links.files == () and len(links.links) == 1 and links.last and not fitted.last


@pytest.mark.parametrize("links_on", [True, False])
async def test_compress_mode_links_only_what_cannot_fit(
    start_pipeline: StartPipeline, media_server: MediaServer, links_on: bool
) -> None:
    """20 KiB is far too little for 4 s of noisy 640x480: with links on it becomes a link;
    without, the job fails as it always did."""
    settings = {"upload_allow_split": False, **(LINKS if links_on else {})}
    pipeline = await start_pipeline(**settings)
    uploader = RecordingUploader(20 * KIB)
    result = await pipeline.run(
        request(media_server.url("big.mp4")), attachment=Attachment(uploader)
    )
    assert isinstance(result, JobResult)
    if links_on:
        assert result.outcome == "done", result.error
        assert [len(b.links) for b in uploader.batches] == [1]
    else:
        assert result.outcome == "failed" and result.error is not None
        assert result.error.code == "compression_failed"
