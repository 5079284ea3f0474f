"""Tool order per platform: which tool reads a platform's links first, and which next.

A site changes and one tool's extractor breaks long before the other's does (issue 16), so each
platform has an ordered list of tools. The download manager tries them in that order, each
API-direct first and then its command line, moving to the next only when the failure is one
another tool could fix (:func:`boss_bot.core.tools.fallback.decide`). A later tool is skipped
for a URL it has no extractor for. ``auto`` means: gallery-dl when it has an extractor for the
URL (direct audio/video links excepted), else yt-dlp; then the other.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from boss_bot.core.settings.common import comma_separated
from boss_bot.core.settings.downloads import PLATFORMS_WITH_FLAGS

#: The tools a ``<PLATFORM>_TOOLS`` list may name (``auto`` stands alone).
TOOL_NAMES = ("gallery-dl", "yt-dlp")
AUTO = "auto"

_ORDER = Annotated[tuple[str, ...], NoDecode]
_BEST_GDL = ("gallery-dl", "yt-dlp")


def _describe(platform: str, why: str) -> str:
    return (
        f"{platform}: the tools to try in order, comma-separated (gallery-dl, yt-dlp, or auto); "
        f"a later tool only for links it has an extractor for. {why}"
    )


def parse_tool_order(value: object) -> object:
    """``"gallery-dl, yt-dlp"`` → ``("gallery-dl", "yt-dlp")``; a clear error for anything else."""
    items = comma_separated(value)
    if not isinstance(items, list | tuple):
        return items
    names = [str(item).strip().lower() for item in items if str(item).strip()]
    if names == [AUTO]:
        return (AUTO,)
    if not names:
        raise ValueError("name at least one tool: gallery-dl, yt-dlp (or auto)")
    for name in names:
        if name not in TOOL_NAMES:
            raise ValueError(
                f"unknown tool {name!r}: use gallery-dl and/or yt-dlp, comma-separated, or auto"
            )
    if len(set(names)) != len(names):
        raise ValueError("each tool may be named once")
    return tuple(names)


class ToolOrderSettings(BaseSettings):
    """The tool-order part of :class:`~boss_bot.core.settings.BossSettings`."""

    twitter_tools: _ORDER = Field(
        default=_BEST_GDL,
        description=_describe("Twitter/X", "yt-dlp reads tweets, not profiles or images."),
    )
    reddit_tools: _ORDER = Field(
        default=_BEST_GDL,
        description=_describe(
            "Reddit", "yt-dlp reads comment-page posts; bare v.redd.it links go to yt-dlp first."
        ),
    )
    instagram_tools: _ORDER = Field(
        default=_BEST_GDL,
        description=_describe("Instagram", "yt-dlp reads posts, reels, stories and profiles."),
    )
    youtube_tools: _ORDER = Field(
        default=("yt-dlp", "gallery-dl"),
        description=_describe("YouTube", "gallery-dl has no YouTube extractor today: skipped."),
    )
    tiktok_tools: _ORDER = Field(
        default=_BEST_GDL,
        description=_describe(
            "TikTok", "yt-dlp reads videos, not slideshows; embeds and lives go to yt-dlp first."
        ),
    )
    bluesky_tools: _ORDER = Field(
        default=_BEST_GDL,
        description=_describe("Bluesky", "yt-dlp reads posts with a video."),
    )
    generic_tools: _ORDER = Field(
        default=(AUTO,),
        description=_describe(
            "Any other site",
            "auto: gallery-dl when it has an extractor for the link, else yt-dlp (direct "
            "audio/video links: yt-dlp first), then the other.",
        ),
    )

    @field_validator(
        "twitter_tools",
        "reddit_tools",
        "instagram_tools",
        "youtube_tools",
        "tiktok_tools",
        "bluesky_tools",
        "generic_tools",
        mode="before",
    )
    @classmethod
    def _tool_order_names(cls, value: object) -> object:
        return parse_tool_order(value)

    def tool_order(self, platform: str) -> tuple[str, ...]:
        """``<PLATFORM>_TOOLS`` for a strategy (``generic`` for everything else)."""
        name = platform if platform in PLATFORMS_WITH_FLAGS else "generic"
        return tuple(getattr(self, f"{name}_tools"))
