"""Per-server settings (issue 14): what each server's admins chose, and who opted out.

* :mod:`.values`: the keys (names fixed by the issue) and their values as typed, shown and
  exported; every refusal is one line naming what is valid.
* :mod:`.model`: :class:`GuildSettings`, a frozen model of one server's settings, and the rules
  the bot applies with it (is auto mode on here, may this channel or role download, and why not).
* :mod:`.overrides`: a server's stored row holds only what it changed; edits to that row.
* :mod:`.document`: export and import documents (JSON), an import checked whole first.
* :mod:`.service`: :class:`GuildSettingsService`, what the bot, workers, ``bossctl guild`` and
  the API use: cached reads, audited writes, the `$ignore-me` opt-outs.
* :mod:`.cache`, :mod:`.notify`: how a change reaches every process's cache (the guarantee is in
  :mod:`.service`'s docstring and in docs/persistence.md).

The defaults come from the environment (:mod:`boss_bot.core.settings.guilds`); the rows live in
the store (:mod:`boss_bot.core.store.guilds`). Nothing here imports Discord.
"""

from boss_bot.core.guilds.document import parse_document, read_document, write_document
from boss_bot.core.guilds.model import CHANNEL_REFUSAL, ROLE_REFUSAL, GuildSettings
from boss_bot.core.guilds.notify import Invalidations, RedisInvalidations
from boss_bot.core.guilds.service import GuildSettingsService
from boss_bot.core.guilds.values import (
    KEYS,
    SPECS,
    KeySpec,
    describe_change,
    display,
    parse_words,
    spec,
    valid_values,
)
from boss_bot.core.store.guilds import Change

__all__ = [
    "CHANNEL_REFUSAL",
    "KEYS",
    "ROLE_REFUSAL",
    "SPECS",
    "Change",
    "GuildSettings",
    "GuildSettingsService",
    "Invalidations",
    "KeySpec",
    "RedisInvalidations",
    "describe_change",
    "display",
    "parse_document",
    "parse_words",
    "read_document",
    "spec",
    "valid_values",
    "write_document",
]
