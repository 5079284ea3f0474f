"""Logging settings: the log format and level."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings


class LoggingSettings(BaseSettings):
    """The logging part of :class:`~boss_bot.core.settings.BossSettings`.

    LOG_FORMAT comes first: the generated docs start their "Logging" section at LOG_LEVEL (see
    ``config_docs._SECTIONS``), so LOG_FORMAT is listed at the end of the HTTP section, as it
    always was.
    """

    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`json`: one JSON object per log line (with job_id, guild_id, platform, "
        "stage); `text`: human-readable lines.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level."
    )
