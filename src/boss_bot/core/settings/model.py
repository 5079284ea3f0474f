"""`BossSettings`: the one settings class, composed from one mixin per area.

Each mixin (a pydantic-settings class of its own module) holds the fields an operator configures
together, with their validators and derived values; this class adds only what spans areas: the
shared ``model_config``. Field names, and so the environment variable names, are the mixins'
field names; nothing is prefixed.
"""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from boss_bot.core.settings.bot import DiscordSettings
from boss_bot.core.settings.compression import CompressionSettings
from boss_bot.core.settings.dashboard import DashboardSettings
from boss_bot.core.settings.downloads import DownloadSettings
from boss_bot.core.settings.guilds import GuildDefaultSettings
from boss_bot.core.settings.http_api import HttpSettings
from boss_bot.core.settings.links import LinkSettings
from boss_bot.core.settings.log import LoggingSettings
from boss_bot.core.settings.shards import ShardSettings
from boss_bot.core.settings.storage import StorageSettings
from boss_bot.core.settings.store import StoreSettings
from boss_bot.core.settings.tool_order import ToolOrderSettings
from boss_bot.core.settings.tools import ToolSettings
from boss_bot.core.settings.uploads import UploadSettings


# pydantic collects fields from the bases in reverse order (the last base's fields come first),
# so the bases are listed from the last area to the first: this order is the order of
# docs/configuration.md and .env.sample, and of the errors in a validation report.
class BossSettings(
    LoggingSettings,
    DashboardSettings,
    LinkSettings,
    HttpSettings,
    ShardSettings,
    StoreSettings,
    CompressionSettings,
    ToolOrderSettings,
    ToolSettings,
    DownloadSettings,
    StorageSettings,
    GuildDefaultSettings,
    UploadSettings,
    DiscordSettings,
):
    """boss-bot configuration. See docs/configuration.md (generated from this class)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
        env_ignore_empty=True,  # `GALLERY_DL_COOKIES_FILE=` means unset, not Path("")
    )
