"""Tool settings: the gallery-dl and yt-dlp config and cookie files, and which ffmpeg to run."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings


class ToolSettings(BaseSettings):
    """The tools part of :class:`~boss_bot.core.settings.BossSettings`."""

    gallery_dl_config_file: Path | None = Field(
        default=None, description="A gallery-dl JSON config file to load first (optional)."
    )
    gallery_dl_cookies_file: Path | None = Field(
        default=None, description="Netscape cookies.txt for gallery-dl (logins, NSFW, stories)."
    )
    gallery_dl_cookies_from_browser: str | None = Field(
        default=None, description="Browser to take gallery-dl cookies from, e.g. firefox."
    )
    gallery_dl_user_agent: str | None = Field(
        default=None, description="User-Agent for gallery-dl (its default when unset)."
    )
    ytdlp_cookies_file: Path | None = Field(
        default=None, description="Netscape cookies.txt for yt-dlp."
    )
    ffmpeg_path: str = Field(default="ffmpeg", description="ffmpeg executable (name or path).")
    ffprobe_path: str = Field(default="ffprobe", description="ffprobe executable (name or path).")
