"""Compression settings: the encoder's speed and parallelism, and the quality floors it keeps."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings


class CompressionSettings(BaseSettings):
    """The compression part of :class:`~boss_bot.core.settings.BossSettings`."""

    compression_ffmpeg_preset: Literal[
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"
    ] = Field(default="veryfast", description="libx264 preset for re-encodes.")
    compression_max_concurrent: int = Field(
        default=2, ge=1, le=32, description="Encodes running at once."
    )
    compression_ffmpeg_threads: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Threads per x264 encode (0: one per core). Set it when several workers "
        "share a machine, e.g. cores / workers, so they do not fight over the same cores.",
    )
    compression_min_video_bitrate_kbps: int = Field(
        default=125, ge=16, description="Below this video bitrate, step down resolution or split."
    )
    compression_min_audio_bitrate_kbps: int = Field(
        default=32, ge=8, description="Lowest audio bitrate used when squeezing."
    )
    compression_image_min_quality: int = Field(
        default=10, ge=1, le=95, description="Lowest JPEG/WebP quality before downscaling."
    )
