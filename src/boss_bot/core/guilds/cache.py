"""The in-process cache of per-server settings and opt-outs, and how it learns of changes.

Every message in a server with automatic mode asks for that server's settings and its author's
opt-out, so they are cached; a change must still reach the next message at once. Three ways in:

* **This process wrote it**: the entry is dropped by the write itself (:meth:`drop`), so the
  next read goes to the store.
* **An announcement** (Redis pub/sub in distributed mode, :mod:`.notify`) drops the entry the
  other process changed as soon as it arrives; a lost connection drops everything, since
  announcements made meanwhile are lost.
* **The store's settings version** (one row, bumped by every write in the same transaction) is
  read at most once per ``interval`` seconds, on a read; when it moved, everything is dropped.
  This is the safety net for a lost announcement, and the only way in embedded mode for a
  change made by ``bossctl guild set`` in another process.

A read that started before a drop must not put its (possibly older) answer back afterwards:
every drop advances an epoch, and :meth:`put` keeps a value only if the epoch it was read under
is still current.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

#: Entries kept (least recently used first out): servers and users seen by one process.
MAX_ENTRIES = 20_000


class SettingsCache:
    """A bounded LRU of values read from the store, dropped when they may be stale."""

    def __init__(
        self,
        read_version: Callable[[], Awaitable[int]],
        *,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._read_version = read_version
        self.interval = interval
        self._clock = clock
        self._max = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = asyncio.Lock()
        self._checked_at: float | None = None
        self.version: int | None = None
        #: Advanced by every drop; a read keeps its answer only under the epoch it began in.
        self.epoch = 0
        #: How often the version was read, and how often it had moved (for tests and logs).
        self.version_reads = 0
        self.version_moves = 0

    def get(self, key: Hashable) -> Any | None:
        """The cached value, or None (callers cache no None)."""
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: Any, epoch: int) -> None:
        """Keep ``value`` read under ``epoch``, unless something was dropped since."""
        if epoch != self.epoch:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def drop(self, key: Hashable) -> None:
        self.epoch += 1
        self._entries.pop(key, None)

    def drop_all(self) -> None:
        self.epoch += 1
        self._entries.clear()

    async def check(self) -> None:
        """Read the store's version if ``interval`` has passed since the last read (a read
        started within the interval waits for none); drop everything when it moved."""
        if not self._due():
            return
        async with self._lock:
            if not self._due():  # another read checked while this one waited
                return
            started = self._clock()
            version = await self._read_version()
            self._checked_at = started
            self.version_reads += 1
            if version != self.version:
                if self.version is not None:
                    self.version_moves += 1
                    self.drop_all()
                self.version = version

    def wrote(self, version: int | None) -> None:
        """This process's write made the store's version ``version``. When it is the one
        after the version seen, nobody else wrote in between and the cache stays valid past it;
        otherwise the next check drops everything, as it should."""
        if version is not None and self.version is not None and version == self.version + 1:
            self.version = version

    def _due(self) -> bool:
        return self._checked_at is None or self._clock() - self._checked_at >= self.interval

    def __len__(self) -> int:
        return len(self._entries)


__all__ = ["MAX_ENTRIES", "SettingsCache"]
