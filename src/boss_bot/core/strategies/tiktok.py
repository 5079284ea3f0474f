"""TikTok: videos and photo slideshows via gallery-dl; embeds, lives and lists via yt-dlp.

gallery-dl is the primary tool because it is the only one that reads a slideshow: it returns
every image of the post, while yt-dlp returns only the slideshow's soundtrack. A link does not
say which kind of post it is (slideshows are shared as ``/video/<id>`` too), so every post goes
to gallery-dl, which also takes the ``/photo/`` links yt-dlp rejects, the ``vm.``/``vt.`` and
``/t/`` short links, ``tiktokv.com`` and the bare ``tiktok.com`` host. The shapes only yt-dlp
reads (``/embed/<id>``, lives, sound, hashtag, effect and collection pages) stay with it.
"""

from __future__ import annotations

import re

from boss_bot.core.strategies.base import Strategy, host_pattern

_HOST = r"(?:[a-z0-9-]+\.)*tiktokv?\.com"

STRATEGY = Strategy(
    name="tiktok",
    display_name="TikTok",
    tool="gallery-dl",
    hosts=host_pattern("tiktok.com", "tiktokv.com"),
    patterns=(
        # One id space for videos and slideshows, whoever's page (or none: /@/video/ID) it is.
        # vm./vt./t/ short links name no id: the normalised URL is their key.
        re.compile(rf"{_HOST}/(?:@[^/?#]*|share)/(?:video|photo)/(?P<id>\d+)"),
        re.compile(rf"{_HOST}/embed/(?P<id>\d+)"),
    ),
    tool_by_path=(
        (
            re.compile(
                rf"{_HOST}/(?:embed/\d|share/live/|@[^/?#]+/(?:live(?:[/?]|$)|collection/)"
                r"|music/|tag/|sticker/)"
            ),
            "yt-dlp",
        ),
    ),
    gallery_dl_options={
        "videos": True,
        "photos": True,
        # A slideshow's media is its images; the music is a separate TikTok sound.
        "audio": False,
        "include": "posts",  # a profile link means its posts, not its avatar
    },
)
