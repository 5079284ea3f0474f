"""HTML pages the tests serve: what real sites send, built small.

``og_video_page`` is a page whose media is only named by its ``og:video`` tags (yt-dlp's
generic extractor reads it; gallery-dl's directlink extractor does not); with ``rta=True`` it
also carries the RTA label (``<meta name="rating" content="RTA-5042-1996-1400-1577-RTA">``),
for which yt-dlp reports ``age_limit`` 18.
"""

from __future__ import annotations

RTA_LABEL = '<meta name="rating" content="RTA-5042-1996-1400-1577-RTA">'


def og_video_page(title: str, video: str, *, rta: bool = False, extra_head: str = "") -> str:
    """A page showing ``/video`` (a path on the same server) through its Open Graph tags."""
    return (
        f"<!doctype html><html><head><title>{title}</title>"
        f"{RTA_LABEL if rta else ''}{extra_head}"
        f'<meta property="og:title" content="{title}">'
        f'<meta property="og:video" content="/{video}">'
        f'<meta property="og:video:type" content="video/mp4">'
        "</head><body><p>a clip</p></body></html>"
    )
