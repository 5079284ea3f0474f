"""Storage settings: the directories boss-bot writes to (downloads, requests, its data)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings


class StorageSettings(BaseSettings):
    """The storage part of :class:`~boss_bot.core.settings.BossSettings`."""

    download_dir: Path = Field(
        default=Path("./downloads"),
        description="Archive root; each request also gets its own directory below it.",
    )
    data_dir: Path = Field(default=Path("./data"), description="Database and state files.")

    @property
    def requests_dir(self) -> Path:
        """Where per-request working directories live (inside DOWNLOAD_DIR)."""
        return self.download_dir / ".requests"
