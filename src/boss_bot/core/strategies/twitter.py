"""Twitter/X: tweets, via gallery-dl's twitter extractor.

The embed-fixer mirrors (vxtwitter, fxtwitter, fixupx, fixvx) are routed here too and
rewritten to the real site by ``canonical_url``: people paste them to get a working Discord
embed, but the media and the dedup key belong to the original tweet.
"""

from __future__ import annotations

import re

from boss_bot.core.strategies.base import Strategy, host_pattern

STRATEGY = Strategy(
    name="twitter",
    display_name="Twitter/X",
    tool="gallery-dl",
    hosts=host_pattern(
        "twitter.com",
        "x.com",
        "vxtwitter.com",
        "fxtwitter.com",
        "fixupx.com",
        "fixvx.com",
        "pbs.twimg.com",  # gallery-dl's twitter "image" extractor reads these
    ),
    patterns=(
        re.compile(
            r"(?:[a-z0-9-]+\.)*(?:twitter|x)\.com/(?:i/web|[^/?#]+)/status(?:es)?/(?P<id>\d+)"
        ),
        re.compile(r"pbs\.twimg\.com/media/(?P<image>[A-Za-z0-9_-]+)"),
    ),
    host_aliases={
        "vxtwitter.com": "twitter.com",
        "fxtwitter.com": "twitter.com",
        "fixupx.com": "x.com",
        "fixvx.com": "x.com",
    },
    # One tweet's own media: no retweets, quotes, text-only tweets or link cards.
    gallery_dl_options={
        "videos": True,
        "retweets": False,
        "quoted": False,
        "text-tweets": False,
        "cards": False,
        "conversations": False,
    },
)
