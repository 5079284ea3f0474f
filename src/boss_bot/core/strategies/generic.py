"""Any other http(s) URL: the last entry of the registry, so it matches every one.

Its tool is ``auto``: the worker asks gallery-dl whether it has an extractor for the URL
(hundreds of sites, image boards, direct links) and otherwise uses yt-dlp, whose generic
extractor finds direct media files and ``<video>``/``og:video`` on plain pages.
"""

from __future__ import annotations

import re

from boss_bot.core.strategies.base import Strategy

STRATEGY = Strategy(
    name="generic",
    display_name="Other sites",
    tool="auto",
    hosts=re.compile(r".+"),
)
