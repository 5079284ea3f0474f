"""`BossSettings`: every knob boss-bot has, read from the environment and `.env`.

Built once at an entry point (``bossctl``, the bot, a test) with :func:`load_settings` and passed
down. Nothing builds settings at import time and nothing below the entry points reads the
environment. Field names are the environment variable names in lower case; the description of
each field is what `.env.sample` and docs/configuration.md say about it (a test keeps all three in
step).

The class is composed in :mod:`.model` from one mixin per area (:mod:`.bot`, :mod:`.uploads`,
:mod:`.guilds` (per-server defaults), :mod:`.storage`, :mod:`.downloads`, :mod:`.tools`,
:mod:`.tool_order` (which tool reads each platform first),
:mod:`.compression`, :mod:`.store`, :mod:`.shards`, :mod:`.http_api`, :mod:`.log`); a new
setting goes into the mixin of its area. Import from this package, not from the modules.
"""

from boss_bot.core.settings.api_tokens import ApiClient, parse_api_tokens
from boss_bot.core.settings.common import MIB
from boss_bot.core.settings.downloads import PLATFORMS_WITH_FLAGS
from boss_bot.core.settings.loading import (
    SECRET_FIELDS,
    format_validation_error,
    load_settings,
    masked,
    value_sources,
)
from boss_bot.core.settings.model import BossSettings

__all__ = [
    "MIB",
    "PLATFORMS_WITH_FLAGS",
    "SECRET_FIELDS",
    "ApiClient",
    "BossSettings",
    "format_validation_error",
    "load_settings",
    "masked",
    "parse_api_tokens",
    "value_sources",
]
