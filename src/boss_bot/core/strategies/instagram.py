"""Instagram: posts, reels, IGTV and stories, via gallery-dl's instagram extractor."""

from __future__ import annotations

import re

from boss_bot.core.strategies.base import Strategy, host_pattern

_HOST = r"(?:[a-z0-9-]+\.)*instagram\.com"

STRATEGY = Strategy(
    name="instagram",
    display_name="Instagram",
    tool="gallery-dl",
    hosts=host_pattern("instagram.com", "instagr.am", "ddinstagram.com"),
    patterns=(
        # /p/CODE, /reel/CODE, /reels/CODE, /tv/CODE, optionally under /USER/.
        # /share/... codes are redirect tokens, not shortcodes: no key for them.
        re.compile(rf"{_HOST}/(?:(?!share/)[^/?#]+/)?(?:p|reels?|tv)/(?P<id>[A-Za-z0-9_-]+)"),
        re.compile(rf"{_HOST}/stories/highlights/(?P<highlight>\d+)"),
        re.compile(rf"{_HOST}/stories/[^/?#]+/(?P<story>\d+)"),
    ),
    host_aliases={
        "instagr.am": "www.instagram.com",  # the official short domain
        "ddinstagram.com": "www.instagram.com",  # embed fixer
    },
    # A profile link means its posts (not stories, highlights or tagged posts).
    gallery_dl_options={"videos": True, "include": "posts"},
)
