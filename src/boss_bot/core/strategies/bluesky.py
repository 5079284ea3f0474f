"""Bluesky: posts (images, videos, GIFs) via gallery-dl's bluesky extractor.

gallery-dl, because yt-dlp's bluesky extractor reads videos only ("No video could be found"
for an image post) and only post links; gallery-dl returns every image of a post and its
video (the original upload, as a blob), and also reads profiles, feeds and the embed-fixer
mirrors, which are rewritten to ``bsky.app`` here as for Twitter. Bare ``video.bsky.app``
HLS playlists go to yt-dlp (its generic extractor reads them), as before this strategy.

The media key is the post's record key plus its author *as written*: a record key is unique
only within one account's repository, and a handle cannot be resolved to its DID offline, so
the same post linked by handle and by DID gets two keys (downloaded twice, never merged
wrongly), and so does a handle written with different capitals.
"""

from __future__ import annotations

import re

from boss_bot.core.strategies.base import Strategy, host_pattern

# Embed fixers gallery-dl recognises: (c|fx|vx)?bs(k|y)y(e|x)?.app.
_MIRRORS = ("fxbsky.app", "vxbsky.app", "cbsky.app", "bskye.app", "bskyx.app", "bsyy.app")

STRATEGY = Strategy(
    name="bluesky",
    display_name="Bluesky",
    tool="gallery-dl",
    hosts=host_pattern("bsky.app", "main.bsky.dev", *_MIRRORS),
    patterns=(
        # /profile/<handle or did>/post/<rkey>, on bsky.app or the dev app.
        re.compile(
            r"(?:[a-z0-9-]+\.)*(?:bsky\.app|main\.bsky\.dev)"
            r"/profile/(?P<owner>[^/?#]+)/post/(?P<id>[^/?#]+)"
        ),
        # video.bsky.app/watch/<did>/<cid>/playlist.m3u8: the video blob's content id.
        re.compile(r"video\.bsky\.app/watch/[^/?#]+/(?P<video>[a-z0-9]+)"),
    ),
    tool_by_host=((host_pattern("video.bsky.app"), "yt-dlp"),),
    host_aliases=dict.fromkeys(_MIRRORS, "bsky.app"),
    # One post's own media: not the post it quotes, nor the replies under it.
    gallery_dl_options={"videos": True, "quoted": False, "depth": 0},
)
