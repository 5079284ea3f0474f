"""Per-server defaults: what a server that changed nothing gets (`$settings`, `bossctl guild`).

Each server (guild) may change these keys for itself; the values stored for it hold only what it
changed, so a default changed here still reaches every server that kept it. ``ALLOWED_CHANNEL_IDS``
and ``ALLOWED_ROLE_IDS`` (in the uploads mixin, where they always were) are the defaults of the
``allowed_channels`` and ``allowed_roles`` keys. See :mod:`boss_bot.core.guilds`.

The value types of the keys live here, below :mod:`boss_bot.core.guilds`, so the per-server model
and these defaults cannot disagree about what a value may be.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from boss_bot.core.models import DownloadOptions
from boss_bot.core.settings.common import comma_separated

AutoMode = Literal["off", "channels", "everywhere"]
SensitiveMode = Literal["block", "spoiler"]
OnOff = Literal["on", "off"]
OriginalMode = Literal["keep", "suppress"]
#: What happens to a file over the upload limit (links need PUBLIC_BASE_URL).
TooBigMode = Literal["compress", "link", "both"]
#: The yt quality ladder: the one `$yt-download` and `bossctl download --quality` take.
YtQuality = DownloadOptions.model_fields["quality"].annotation
QUALITY_LADDER: tuple[str, ...] = get_args(YtQuality)

#: Platforms of automatic mode out of the box (YouTube links already embed in Discord).
DEFAULT_AUTO_PLATFORMS = ("twitter", "reddit", "instagram", "tiktok", "bluesky")
#: Platform names accepted even before their strategy module is registered (they are named in
#: the defaults above, so a default must never fail validation).
NAMED_PLATFORMS = ("tiktok", "bluesky")


def known_platforms() -> tuple[str, ...]:
    """Every platform name ``auto_platforms`` accepts: the strategy registry's names, in its
    order, then :data:`NAMED_PLATFORMS` not registered yet."""
    from boss_bot.core.strategies import STRATEGIES  # the registry; imported on first use only

    names = [s.name for s in STRATEGIES]
    return (*names, *(p for p in NAMED_PLATFORMS if p not in names))


def platform_words(value: object) -> object:
    """``"twitter, reddit tiktok"`` → ``["twitter", "reddit", "tiktok"]`` (commas or spaces; a
    JSON-ish ``["twitter", "reddit"]`` reads the same)."""
    if isinstance(value, str):
        return [w.strip("'\"") for w in re.split(r"[\s,\[\]]+", value.lower()) if w.strip("'\"")]
    return value


class GuildDefaultSettings(BaseSettings):
    """The per-server defaults part of :class:`~boss_bot.core.settings.BossSettings`."""

    guild_default_auto: AutoMode = Field(
        default="off",
        description="Per-server key `auto`: handle pasted links without a command: off, "
        "channels (only AUTO_CHANNEL_IDS / the server's auto_channels) or everywhere.",
    )
    auto_channel_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated channel ids, the default of the per-server key "
        "`auto_channels` (where auto=channels applies; a thread follows its parent).",
    )
    guild_default_auto_platforms: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_AUTO_PLATFORMS),
        description="Per-server key `auto_platforms`: strategy names whose links auto mode "
        "handles (commas or spaces).",
    )
    denied_channel_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated channel ids, the default of the per-server key "
        "`denied_channels`: no commands and no auto mode there (ALLOWED_CHANNEL_IDS and "
        "ALLOWED_ROLE_IDS are the defaults of `allowed_channels` and `allowed_roles`).",
    )
    guild_default_sensitive: SensitiveMode = Field(
        default="block",
        description="Per-server key `sensitive`: media marked sensitive, in a channel that is not "
        "age-restricted: block it, or post it as spoilers.",
    )
    guild_default_nsfw_spoiler: bool = Field(
        default=True,
        description="Per-server key `nsfw_spoiler` (on/off): spoiler sensitive media in "
        "age-restricted channels too.",
    )
    guild_default_original: OriginalMode = Field(
        default="keep",
        description="Per-server key `original`: in auto mode, keep or suppress the original "
        "message's link embed (suppress needs Manage Messages).",
    )
    guild_default_quality: YtQuality = Field(  # type: ignore[valid-type]
        default="720p",
        description="Per-server key `quality`: the highest YouTube resolution fetched when a "
        "command does not name one.",
    )
    guild_default_too_big: TooBigMode = Field(
        default="compress",
        description="Per-server key `too_big`, for a file over the upload limit: compress "
        "(then split, then, when nothing fits, a link), link (the original as a link, no "
        "re-encode) or both (the fitted file and a link to the original). Links need "
        "PUBLIC_BASE_URL; without it every mode compresses.",
    )
    auto_max_links: int = Field(
        default=3, ge=1, le=20, description="Auto mode handles at most this many links per message."
    )
    guild_settings_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=3600,
        description="Per-server settings are cached in each process; at most this often a process "
        "checks the store for a change made by another one (0: on every read). With "
        "QUEUE_BACKEND=redis a change is also announced at once over Redis.",
    )

    @field_validator("auto_channel_ids", "denied_channel_ids", mode="before")
    @classmethod
    def _guild_ids_comma_separated(cls, value: object) -> object:
        return comma_separated(value)

    @field_validator("guild_default_auto_platforms", mode="before")
    @classmethod
    def _guild_platforms_words(cls, value: object) -> object:
        return platform_words(value)

    @field_validator("guild_default_auto_platforms", mode="after")
    @classmethod
    def _guild_platforms_known(cls, value: list[str]) -> list[str]:
        known = known_platforms()
        unknown = [name for name in value if name not in known]
        if unknown:
            raise ValueError(f"unknown platform {unknown[0]!r} (known: {', '.join(known)})")
        return list(dict.fromkeys(value))
