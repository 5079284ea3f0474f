"""Upload settings: how the bot posts files back, and where (and for whom) it takes requests."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from boss_bot.core.settings.common import MIB, comma_separated


class UploadSettings(BaseSettings):
    """The bot-and-uploads part of :class:`~boss_bot.core.settings.BossSettings`."""

    upload_allow_split: bool = Field(
        default=True,
        description="Split a video too long to fit the upload limit at a watchable quality "
        "into parts (false: explain and suggest download-only).",
    )
    upload_cleanup_after_success: bool = Field(
        default=True,
        description="Delete a request's files once every one was posted (kept when an upload "
        "fails).",
    )
    upload_max_files_per_batch: int = Field(
        default=10,
        ge=1,
        le=10,
        description="Attachments per message (Discord allows at most 10).",
    )
    upload_batch_size_mb: int | None = Field(
        default=None,
        ge=1,
        description="Total MiB of attachments per message (unset: only the per-file limit).",
    )
    allowed_channel_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated channel ids where download commands work (empty: all).",
    )
    allowed_role_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated role ids allowed to use download commands (empty: all).",
    )

    @field_validator("allowed_channel_ids", "allowed_role_ids", mode="before")
    @classmethod
    def _upload_lists_comma_separated(cls, value: object) -> object:
        return comma_separated(value)

    @property
    def upload_batch_size_bytes(self) -> int | None:
        """UPLOAD_BATCH_SIZE_MB in bytes, or None when unset."""
        return None if self.upload_batch_size_mb is None else self.upload_batch_size_mb * MIB
