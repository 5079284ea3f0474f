"""Reddit: posts and galleries via gallery-dl; bare v.redd.it video links via yt-dlp.

gallery-dl reads a post and hands its video to yt-dlp itself; a bare ``v.redd.it`` link
has no post around it, and yt-dlp's reddit extractor reads it directly (audio merged).
"""

from __future__ import annotations

import re

from boss_bot.core.strategies.base import Strategy, host_pattern

STRATEGY = Strategy(
    name="reddit",
    display_name="Reddit",
    tool="gallery-dl",
    hosts=host_pattern("reddit.com", "redd.it", "reddituploads.com"),
    patterns=(
        re.compile(
            r"(?:[a-z0-9-]+\.)*reddit\.com/(?:(?:r|u|user)/[^/?#]+/)?"
            r"(?:comments|gallery)/(?P<id>[a-z0-9]+)"
        ),
        re.compile(r"redd\.it/(?P<id>[a-z0-9]+)/?(?:\?|$)"),
        re.compile(r"v\.redd\.it/(?P<video>[a-z0-9]+)"),
        # preview.redd.it/NAME is a resized i.redd.it/NAME: one key for both.
        re.compile(r"(?:i|preview)\.redd\.it/(?P<image>[^/?#]+)"),
    ),
    tool_by_host=((host_pattern("v.redd.it"), "yt-dlp"),),
    gallery_dl_options={
        # "dash" (gallery-dl's default, pinned here) gives yt-dlp the DASH manifest, so
        # videos come with their audio track.
        "videos": "dash",
        "comments": 0,  # don't fetch comment trees: we want the post's media only
        "recursion": 0,  # don't follow links to other posts
        "selftext": False,  # don't scan text posts for links
    },
)
