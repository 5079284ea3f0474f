"""Which extractor each tool has for a URL, asked of a warm worker and remembered.

The tool chain needs it to resolve ``auto`` and, after a failure, to know whether the next
tool can read the URL at all and whether the failed one owned the site. Matching a URL against
yt-dlp's ~1,800 extractor patterns and gallery-dl's ~1,000 costs milliseconds of pure Python, and
importing either tool in the bot's process costs far more: so the worker that already holds
them answers (one pipe round trip), and the answer is kept per URL in a bounded LRU.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from boss_bot.core.errors import BossBotError
from boss_bot.core.tools.fallback import TOOLS, Extractors

if TYPE_CHECKING:
    from boss_bot.core.workers.pool import WorkerPool

log = logging.getLogger(__name__)

#: URLs whose answer is kept (a few hundred bytes each).
CACHE_SIZE = 2048
#: A probe is a pattern match in a warm worker; waiting longer means something is wrong.
PROBE_TIMEOUT_SECONDS = 10.0


class ToolProbe:
    """``await probe.extractors(url)``: ``{"gallery-dl": ..., "yt-dlp": ...}``, or None when no
    worker could answer (the chain then tries the tools rather than guess)."""

    def __init__(
        self,
        pool: WorkerPool,
        start: Callable[[], Awaitable[None]],
        *,
        size: int = CACHE_SIZE,
        timeout: float = PROBE_TIMEOUT_SECONDS,
    ) -> None:
        self._pool = pool
        self._start = start
        self._size = size
        self._timeout = timeout
        self._cache: OrderedDict[str, Extractors] = OrderedDict()

    async def extractors(self, url: str) -> Extractors | None:
        if (hit := self._cache.get(url)) is not None:
            self._cache.move_to_end(url)
            return hit
        try:
            await self._start()
            reply = await self._pool.run(
                {"op": "probe", "url": url},
                timeout=self._timeout,  # type: ignore[typeddict-item]
            )
        except (BossBotError, TimeoutError) as exc:
            log.info("no worker could say which tools read %s (%s)", url, exc)
            return None
        if reply.get("type") != "done" or not isinstance(reply.get("extractors"), dict):
            return None
        found = {tool: _name(reply["extractors"].get(tool)) for tool in TOOLS}
        self._cache[url] = found
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return found


def _name(value: object) -> str | None:
    return str(value) if value else None
