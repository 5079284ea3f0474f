"""End to end: a page carrying the RTA label, downloaded with the real yt-dlp on both paths.

yt-dlp's generic extractor sets ``age_limit`` 18 when the page matches ``_rta_search``
(yt_dlp/extractor/common.py): ``<meta`` then ``name="rating"`` then
``content="RTA-5042-1996-1400-1577-RTA"``, in that order, double-quoted, any whitespace, any
case. The video itself is found through ``og:video`` and inherits the page's ``age_limit``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from boss_bot.core.manager import DownloadManager
from boss_bot.core.models import DownloadOptions
from tests.support.media_server import MediaServer
from tests.support.pages import RTA_LABEL, og_video_page

MakeManager = Callable[..., DownloadManager]


@pytest.fixture(scope="module")
def rta_pages(media_server: MediaServer, media_dir: Path) -> dict[str, str]:
    """The labelled page and the same page without the label, each with its own clip."""
    for name in ("rta-clip.mp4", "plain-clip.mp4"):
        media_server.add_file(name, media_dir / "clip.mp4", "video/mp4")
    return {
        "rta": media_server.add_page(
            "rta.html", og_video_page("Labelled clip", "rta-clip.mp4", rta=True)
        ),
        "plain": media_server.add_page("plain.html", og_video_page("Plain clip", "plain-clip.mp4")),
    }


@pytest.mark.parametrize("method", ["api", "cli"])
@pytest.mark.parametrize(("page", "expected"), [("rta", True), ("plain", False)])
async def test_rta_page_is_sensitive(
    make_manager: MakeManager,
    media_server: MediaServer,
    rta_pages: dict[str, str],
    page: str,
    expected: bool,
    method: str,
) -> None:
    meta = await make_manager().download(
        rta_pages[page],
        options=DownloadOptions(force_method=method),  # type: ignore[arg-type]
    )
    assert meta.tool == "yt-dlp" and meta.platform == "generic"
    assert meta.download_method == method
    [f] = meta.files
    assert f.file_type == "video" and f.size_bytes > 10_000
    assert ("GET", f"/{page}-clip.mp4") in media_server.requests  # the og:video was followed
    assert meta.platform_data.get("age_limit") == (18 if expected else None)
    assert meta.sensitive is expected


@pytest.mark.parametrize("method", ["api", "cli"])
async def test_plain_image_via_gallerydl_is_not_sensitive(
    make_manager: MakeManager, media_server: MediaServer, method: str
) -> None:
    meta = await make_manager().download(
        media_server.url("photo.jpg"),
        options=DownloadOptions(force_method=method),  # type: ignore[arg-type]
    )
    assert meta.tool == "gallery-dl" and meta.sensitive is False


@pytest.mark.parametrize("method", ["api", "cli"])
async def test_parent_metadata_reaches_a_child_file(
    make_manager: MakeManager, media_server: MediaServer, tmp_path: Path, method: str
) -> None:
    """A file a child extractor saved (a reddit link post's imgur image) carries the post's
    metadata only under gallery-dl's private ``_parent`` key; both paths must keep it.

    gallery-dl's ``keywords`` option fills the job's kwdict exactly where ``parent-metadata``
    puts ``_parent`` (``Job.kwdict``), so a local direct link stands in for the child.
    """
    parent = {"category": "reddit", "subcategory": "submission", "id": "1nsfwab", "over_18": True}
    config = tmp_path / "gallery-dl.json"
    config.write_text(json.dumps({"extractor": {"keywords": {"_parent": parent}}}))
    meta = await make_manager(gallery_dl_config_file=config).download(
        media_server.url("photo.jpg"),
        options=DownloadOptions(force_method=method),  # type: ignore[arg-type]
    )
    assert meta.tool == "gallery-dl" and meta.download_method == method
    assert meta.sensitive is True
    assert not list(meta.files[0].path.parent.glob("*.json"))  # the sidecar was read, then removed


@pytest.mark.parametrize(
    ("html", "age"),
    [
        (RTA_LABEL, 18),
        ('<META NAME="rating" CONTENT="rta-5042-1996-1400-1577-rta" />', 18),  # any case
        ('<meta\n  name="rating"\n  content="RTA-5042-1996-1400-1577-RTA">', 18),
        ('<meta content="RTA-5042-1996-1400-1577-RTA" name="rating">', None),  # order matters
        ("<meta name='rating' content='RTA-5042-1996-1400-1577-RTA'>", None),  # double quotes only
        ('<meta property="rating" content="RTA-5042-1996-1400-1577-RTA">', None),
        ('Proudly Labeled <a href="http://www.rtalabel.org/" title="Restricted to Adults">RTA</a>',
         18),
        ("<p>By entering you acknowledge you are at least 21 years old</p>", 21),
        ('<meta name="rating" content="mature">', None),  # the generic extractor ignores it
        ("<p>nothing here</p>", None),
    ],
)  # fmt: skip
def test_what_ytdlp_reads_as_the_rta_label(html: str, age: int | None) -> None:
    """yt-dlp's own matcher, pinned: the generic extractor sets ``age_limit`` from it alone."""
    from yt_dlp.extractor.common import InfoExtractor

    assert InfoExtractor._rta_search(html) == age
