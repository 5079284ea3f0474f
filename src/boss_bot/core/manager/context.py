"""What every download path is handed: the attempt's context, its progress, the tool to use.

A leaf of the package (it imports none of its siblings), so the paths (API-direct, yt-dlp CLI,
gallery-dl CLI) and the code that chooses between them share it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from boss_bot.core.coerce import opt_float, opt_int
from boss_bot.core.models import STATUS_DOWNLOADING, DownloadOptions, ProgressEvent
from boss_bot.core.strategies import Strategy
from boss_bot.core.tools import ytdlp

ProgressCallback = Callable[[ProgressEvent], None]

#: Direct links to these go to yt-dlp even when gallery-dl's ``directlink`` would take them:
#: yt-dlp reports duration and formats and streams progress for media.
_AV_SUFFIXES = {".mp4", ".m4v", ".mov", ".webm", ".mkv", ".mp3", ".m4a", ".ogg", ".opus", ".wav"}


def is_direct_av(url: str) -> bool:
    """Whether ``url`` names an audio or video file by its suffix (``auto`` sends it to yt-dlp)."""
    return Path(urlsplit(url).path).suffix.lower() in _AV_SUFFIXES


def resolve_tool(strategy: Strategy, url: str) -> str:
    """The tool for ``url``: the strategy's, with direct audio/video links sent to yt-dlp.

    The first tool before any configured order or probe (``bossctl info``); downloads go
    through the tool chain (:mod:`.chain`), which starts from the same choice.
    """
    tool = strategy.tool_for(url)
    if tool == "auto" and is_direct_av(url):
        return ytdlp.TOOL
    return tool


@dataclass(frozen=True)
class AttemptContext:
    """One download's context, passed down the paths instead of six arguments.

    Built once per download; each attempt runs with a copy carrying its own egress proxy.
    """

    strategy: Strategy
    url: str
    work: Path
    options: DownloadOptions
    on_progress: ProgressCallback | None
    proxy: str | None = None  # the egress guard, tagged for this attempt
    tool: str | None = None  # the tool of the chain this path runs (None: resolve_tool's)

    def progress(self, event: ProgressEvent) -> None:
        if self.on_progress is not None:
            self.on_progress(event)


def progress_event(msg: Mapping[str, Any]) -> ProgressEvent:
    """A ProgressEvent from a worker/CLI progress dict (unknown keys ignored)."""
    return ProgressEvent(
        status=str(msg.get("status") or STATUS_DOWNLOADING),
        downloaded_bytes=opt_int(msg.get("downloaded_bytes")),
        total_bytes=opt_int(msg.get("total_bytes") or msg.get("total_bytes_estimate")),
        speed=opt_float(msg.get("speed")),
        filename=Path(str(msg["filename"])).name if msg.get("filename") else None,
    )
