"""Download settings: concurrency, limits, retries, the API-direct flags and network safety."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from boss_bot.core.settings.common import MIB, comma_separated

#: The platforms that have their own strategy and feature flag (``<PLATFORM>_USE_API_CLIENT``).
PLATFORMS_WITH_FLAGS = (
    "twitter",
    "reddit",
    "instagram",
    "youtube",
    "tiktok",
    "bluesky",
    "generic",
)


class DownloadSettings(BaseSettings):
    """The downloads part of :class:`~boss_bot.core.settings.BossSettings`."""

    max_concurrent_downloads: int = Field(
        default=3, ge=1, le=64, description="Downloads running at once (also the warm workers)."
    )
    max_file_size_mb: int = Field(
        default=500,
        ge=1,
        description="Largest single download accepted, in MiB; enforced while streaming.",
    )
    download_timeout_seconds: float = Field(
        default=600, gt=0, description="Wall-clock limit for one download attempt."
    )
    download_max_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Attempts for retryable failures (network, 5xx, timeout).",
    )
    download_retry_base_delay_seconds: float = Field(
        default=1.0, ge=0, description="First backoff delay; doubles on each retry."
    )
    twitter_use_api_client: bool = Field(
        default=True, description="Twitter/X: gallery-dl in a warm worker (false: the CLI)."
    )
    reddit_use_api_client: bool = Field(
        default=True, description="Reddit: gallery-dl/yt-dlp in a warm worker (false: the CLI)."
    )
    instagram_use_api_client: bool = Field(
        default=True, description="Instagram: gallery-dl in a warm worker (false: the CLI)."
    )
    youtube_use_api_client: bool = Field(
        default=True, description="YouTube: yt-dlp in a warm worker (false: the CLI)."
    )
    tiktok_use_api_client: bool = Field(
        default=True, description="TikTok: gallery-dl/yt-dlp in a warm worker (false: the CLI)."
    )
    bluesky_use_api_client: bool = Field(
        default=True, description="Bluesky: gallery-dl/yt-dlp in a warm worker (false: the CLI)."
    )
    generic_use_api_client: bool = Field(
        default=True, description="Any other site: the tools in a warm worker (false: the CLI)."
    )
    download_api_fallback_to_cli: bool = Field(
        default=True,
        description="When the API-direct path fails, try the CLI (recorded as cli_fallback).",
    )
    max_duration_seconds: int = Field(
        default=3600,
        ge=0,
        description="Refuse media longer than this when its metadata says so, before "
        "downloading (0: no limit).",
    )
    disk_budget_mb: int = Field(
        default=10240,
        ge=0,
        description="Most MiB all request directories may hold; new downloads wait for "
        "space, then are refused (0: no limit).",
    )
    private_network_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated host:port pairs exempt from the private-address block "
        "(an internal media host; tests).",
    )
    allow_private_network_urls: bool = Field(
        default=False,
        description="Allow URLs on private/loopback/link-local addresses. Tests only: "
        "turning this on in production exposes the bot's network to its users.",
    )

    @field_validator("private_network_allowlist", mode="before")
    @classmethod
    def _download_lists_comma_separated(cls, value: object) -> object:
        return comma_separated(value)

    @property
    def max_file_size_bytes(self) -> int:
        return self.max_file_size_mb * MIB

    def use_api_client(self, platform: str) -> bool:
        """The API-direct flag for a strategy (``generic`` for everything else)."""
        name = platform if platform in PLATFORMS_WITH_FLAGS else "generic"
        return bool(getattr(self, f"{name}_use_api_client"))

    @property
    def disk_budget_bytes(self) -> int | None:
        return self.disk_budget_mb * MIB if self.disk_budget_mb else None

    def allowlisted_endpoints(self) -> set[tuple[str, int]]:
        """PRIVATE_NETWORK_ALLOWLIST as (host, port) pairs (malformed entries are skipped)."""
        pairs = set()
        for entry in self.private_network_allowlist:
            host, _, port = entry.strip().rpartition(":")
            if host and port.isdigit():
                pairs.add((host.strip("[]").lower(), int(port)))
        return pairs
