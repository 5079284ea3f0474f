"""Announcing settings changes to the other processes (distributed mode): Redis pub/sub.

After each write, the writer publishes one short message (``g:<guild id>`` or ``u:<user id>``) on
:data:`CHANNEL`; every bot and worker process subscribes and drops that entry from its cache
(:mod:`.cache`), so the next message it handles reads the change.

Pub/sub delivers only to subscribers connected at the time, so the subscriber reports every gap
(the first subscription, each reconnection) with ``on_gap``, and the cache drops everything
then: a change announced while it was away is read again from the store. A failed publish is
logged and not retried: the store's settings version (:mod:`.cache`) reaches the others within
``GUILD_SETTINGS_CACHE_SECONDS`` anyway. Reconnection uses exponential backoff, capped, and each
Redis call is bounded by a timeout, so neither loop can stall the event loop or spin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

#: The pub/sub channel of settings changes.
CHANNEL = "boss-bot:guild-settings"
#: Reconnection backoff: first delay, doubled after each failure, up to the cap (seconds).
FIRST_DELAY = 0.1
MAX_DELAY = 5.0
#: Connect and publish timeout (seconds); a subscriber waits this long per read, then loops.
CALL_TIMEOUT = 2.0
POLL_SECONDS = 1.0
#: The subscriber pings Redis when idle this long, so a dead connection is noticed (seconds).
HEALTH_CHECK_SECONDS = 10


class Invalidations(Protocol):
    """How a service announces its writes and hears about the others' (one per service)."""

    async def start(self, on_message: Callable[[str], None], on_gap: Callable[[], None]) -> None:
        """Subscribe (in the background) and call ``on_message(text)`` per announcement and
        ``on_gap()`` whenever announcements may have been missed."""
        ...

    async def publish(self, message: str) -> None: ...

    async def close(self) -> None: ...


class RedisInvalidations:
    """:class:`Invalidations` over Redis pub/sub (``REDIS_URL``)."""

    def __init__(
        self,
        url: str,
        *,
        channel: str = CHANNEL,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
    ) -> None:
        self._url = url
        self.channel = channel
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._publisher: Redis | None = None
        self._task: asyncio.Task[None] | None = None
        #: Set while subscribed; cleared when the connection is lost.
        self.subscribed = asyncio.Event()
        #: Subscriptions made so far (the first, then one per reconnection).
        self.subscriptions = 0

    def _client(self) -> Redis:
        from redis.asyncio import Redis

        return Redis.from_url(
            self._url,
            socket_connect_timeout=CALL_TIMEOUT,
            socket_keepalive=True,
            health_check_interval=HEALTH_CHECK_SECONDS,
        )

    async def start(
        self,
        on_message: Callable[[str], None],
        on_gap: Callable[[], None],
        *,
        wait: float = CALL_TIMEOUT,
    ) -> None:
        """Start the subscriber and wait up to ``wait`` seconds for its first subscription (if
        Redis is down it keeps trying in the background; the version check covers meanwhile)."""
        if self._task is None:
            self._task = asyncio.create_task(
                self._listen(on_message, on_gap), name="guild-settings-invalidations"
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.subscribed.wait(), wait)

    async def _listen(self, on_message: Callable[[str], None], on_gap: Callable[[], None]) -> None:
        delay = self._first_delay
        while True:
            client = self._client()
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await asyncio.wait_for(pubsub.subscribe(self.channel), CALL_TIMEOUT)
                self.subscriptions += 1
                on_gap()  # whatever was announced before this subscription was missed
                self.subscribed.set()
                delay = self._first_delay
                while True:
                    message: Any = await pubsub.get_message(timeout=POLL_SECONDS)
                    if message is not None and message.get("type") == "message":
                        data = message.get("data")
                        on_message(data.decode() if isinstance(data, bytes) else str(data))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.subscribed.is_set():
                    log.warning("settings announcements: lost Redis (%s); reconnecting", exc)
                else:
                    log.debug("settings announcements: Redis unreachable (%s); retrying", exc)
                self.subscribed.clear()
                on_gap()
            finally:
                await _quietly(pubsub.aclose())
                await _quietly(client.aclose())
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_delay)

    async def publish(self, message: str) -> None:
        """Announce a change; a failure is logged (the version check is the safety net)."""
        try:
            if self._publisher is None:
                self._publisher = self._client()
            await asyncio.wait_for(self._publisher.publish(self.channel, message), CALL_TIMEOUT)
        except Exception as exc:
            log.warning("settings announcement %s not sent: %s", message, exc)
            if self._publisher is not None:
                await _quietly(self._publisher.aclose())
                self._publisher = None

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.subscribed.clear()
        if self._publisher is not None:
            await _quietly(self._publisher.aclose())
            self._publisher = None


async def _quietly(closing: Any) -> None:
    """Close a Redis client or pub/sub, bounded, ignoring errors (it is being dropped)."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(closing, CALL_TIMEOUT)


__all__ = ["CHANNEL", "Invalidations", "RedisInvalidations"]
