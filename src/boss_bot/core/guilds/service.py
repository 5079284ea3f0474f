"""`GuildSettingsService`: per-server settings and user opt-outs, read cached, written audited.

One object per process, built by its entry point (the bot, a worker, ``bossctl guild``, the HTTP
app) from the store and the settings, and passed to whoever needs it; ``start()`` subscribes to
other processes' announcements (distributed mode), ``close()`` stops that.

**When a change is seen** (the guarantee, as implemented):

* A change made through this service is seen by the next read of this process, whatever the
  mode: the write drops the cached entry before it returns.
* With ``QUEUE_BACKEND=redis``, each write is announced on Redis pub/sub (:mod:`.notify`) after
  its transaction commits, and every started service drops that entry when the announcement
  arrives (on one network, about a millisecond later). A read that starts after that sees the
  change. A service that lost its Redis connection drops its whole cache when it subscribes
  again, since announcements made meanwhile are lost.
* In every mode, whatever else happens (embedded mode and ``bossctl guild set`` in another
  process, a lost announcement, a failed publish), a change committed at time T is seen by every
  read that starts at T + ``GUILD_SETTINGS_CACHE_SECONDS`` (default 1 s) or later: at most that
  often a read compares the store's settings version (one row, bumped in every write's
  transaction) with the one it saw, and drops the whole cache when it moved. With the setting at
  0 the version is read on every read, and a change is seen by the next read, everywhere.

Nothing is cached across a drop by a read that began before it (see :mod:`.cache`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from boss_bot.core.guilds import values
from boss_bot.core.guilds.cache import SettingsCache
from boss_bot.core.guilds.document import parse_document, read_document
from boss_bot.core.guilds.model import GuildSettings
from boss_bot.core.guilds.notify import Invalidations, RedisInvalidations
from boss_bot.core.guilds.overrides import apply, effective

if TYPE_CHECKING:
    from boss_bot.core.settings import BossSettings
    from boss_bot.core.store import Store
    from boss_bot.core.store.guilds import Change

log = logging.getLogger(__name__)

T = TypeVar("T")


class GuildSettingsService:
    """Per-server settings (get, set, reset, export, import, the audit) and opt-outs."""

    def __init__(
        self,
        store: Store,
        settings: BossSettings,
        *,
        invalidations: Invalidations | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rows = store.guilds
        #: What a server that changed nothing has (from the environment).
        self.defaults = GuildSettings.defaults(settings)
        #: Automatic mode handles at most this many links per message (AUTO_MAX_LINKS).
        self.max_links = settings.auto_max_links
        self.cache = SettingsCache(
            self._rows.version, interval=settings.guild_settings_cache_seconds, clock=clock
        )
        if invalidations is None and settings.queue_backend == "redis" and settings.redis_url:
            invalidations = RedisInvalidations(settings.redis_url.get_secret_value())
        self.invalidations = invalidations

    async def start(self) -> None:
        """Hear other processes' changes as they are made (distributed mode; else a no-op)."""
        if self.invalidations is not None:
            await self.invalidations.start(self._heard, self.cache.drop_all)

    async def close(self) -> None:
        if self.invalidations is not None:
            await self.invalidations.close()

    # --- reads ------------------------------------------------------------------------------

    async def get(self, guild_id: int) -> GuildSettings:
        """This server's settings (cached; see the module docstring for when a change shows)."""
        return await self._cached(("g", guild_id), lambda: self._read(guild_id))

    async def export(self, guild_id: int) -> dict[str, Any]:
        """Every key as JSON, in the documented order (ids as strings)."""
        return (await self.get(guild_id)).export()

    async def changes(self, guild_id: int, limit: int = 5) -> list[Change]:
        """The audit: the latest changes to this server's settings, newest first."""
        return await self._rows.changes(guild_id, limit)

    async def ignored(self, user_id: int) -> bool:
        """Has this user opted out of automatic handling (`$ignore-me`)? Cached like ``get``."""
        return await self._cached(("u", user_id), lambda: self._rows.ignored(user_id))

    # --- writes -----------------------------------------------------------------------------

    async def set(
        self, guild_id: int, key: str, words: Sequence[str], *, by: int | None
    ) -> GuildSettings:
        """Set one key from the words people type (``set auto_channels <#1> <#2>``). A bad key
        or value raises :class:`~boss_bot.core.errors.SettingsError` and changes nothing."""
        name = values.spec(key).name
        return await self._edit(guild_id, {name: values.parse_words(name, words)}, "set", by)

    async def reset(
        self, guild_id: int, key: str | None = None, *, by: int | None
    ) -> GuildSettings:
        """Back to the default: one key, or every key (``key=None``); recorded per key."""
        names = values.KEYS if key is None else (values.spec(key).name,)
        return await self._edit(guild_id, dict.fromkeys(names), "reset", by)

    async def import_(
        self, guild_id: int, document: Mapping[str, Any] | str | bytes, *, by: int | None
    ) -> GuildSettings:
        """Apply a settings document (a dict, or its JSON text): checked whole first, so a bad
        one raises a SettingsError naming its problems and changes nothing; then the keys it
        names are set (recorded per key), the others left as they are."""
        if isinstance(document, str | bytes):
            document = read_document(document)
        return await self._edit(guild_id, parse_document(document), "import", by)

    async def set_ignored(self, user_id: int, ignored: bool) -> bool:
        """Opt a user out of automatic handling, or back in; returns ``ignored``."""
        version = await self._rows.set_ignored(user_id, ignored)
        if version is not None:
            await self._wrote(("u", user_id), f"u:{user_id}", version)
        return ignored

    # --- inside -----------------------------------------------------------------------------

    async def _read(self, guild_id: int) -> GuildSettings:
        return effective(self.defaults, await self._rows.overrides(guild_id))

    async def _cached(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        await self.cache.check()
        hit = self.cache.get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        epoch = self.cache.epoch
        value = await read()
        self.cache.put(key, value, epoch)
        return value

    async def _edit(
        self,
        guild_id: int,
        updates: Mapping[str, values.Value | None],
        action: str,
        by: int | None,
    ) -> GuildSettings:
        written = await self._rows.update(
            guild_id, lambda row: apply(self.defaults, row, updates), action=action, by=by
        )
        if written.version is not None:
            log.info("guild %s settings %s by %s: %s", guild_id, action, by,
                     ", ".join(c.key for c in written.changes) or "-")  # fmt: skip
            await self._wrote(("g", guild_id), f"g:{guild_id}", written.version)
        return effective(self.defaults, written.overrides)

    async def _wrote(self, key: Hashable, announcement: str, version: int) -> None:
        self.cache.drop(key)
        self.cache.wrote(version)
        if self.invalidations is not None:
            await self.invalidations.publish(announcement)

    def _heard(self, announcement: str) -> None:
        """Another process changed something: drop it (anything unreadable: drop all)."""
        kind, _, ident = announcement.partition(":")
        if kind in ("g", "u") and ident.isdigit():
            self.cache.drop((kind, int(ident)))
        else:
            self.cache.drop_all()


__all__ = ["GuildSettingsService"]
