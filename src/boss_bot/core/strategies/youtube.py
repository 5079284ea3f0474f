"""YouTube: videos, shorts, live, embeds, YouTube Music and playlists, via yt-dlp."""

from __future__ import annotations

import re

from boss_bot.core.strategies.base import Strategy, host_pattern

_ID = r"(?P<id>[A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])"
_HOST = r"(?:[a-z0-9-]+\.)*youtube\.com"

STRATEGY = Strategy(
    name="youtube",
    display_name="YouTube",
    tool="yt-dlp",
    hosts=host_pattern("youtube.com", "youtu.be", "youtube-nocookie.com"),
    patterns=(
        re.compile(rf"{_HOST}/watch/?\?(?:[^#]*&)?v={_ID}"),
        re.compile(rf"(?:[a-z0-9-]+\.)*youtube(?:-nocookie)?\.com/(?:shorts|embed|live|v|e)/{_ID}"),
        re.compile(rf"(?:www\.)?youtu\.be/{_ID}"),
        re.compile(rf"{_HOST}/playlist/?\?(?:[^#]*&)?list=(?P<playlist>[A-Za-z0-9_-]+)"),
    ),
    # watch?v=X&list=PL... means the video someone was watching, not the whole playlist.
    ytdlp_options={"noplaylist": True},
)
