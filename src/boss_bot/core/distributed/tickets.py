"""arq tickets: one per queued job (see the package docstring). Used by the bot and workers."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from boss_bot.core.errors import ConfigurationError
from boss_bot.core.settings import BossSettings

if TYPE_CHECKING:
    from arq.connections import ArqRedis, RedisSettings

log = logging.getLogger(__name__)

#: The arq queue (a Redis sorted set) the tickets wait in.
QUEUE_NAME = "boss-bot:tickets"
#: The arq function a ticket runs (:func:`boss_bot.core.distributed.worker.run_ticket`).
TICKET_FUNCTION = "run_ticket"
#: Prefix of each worker's heartbeat key (``bossctl worker --check`` reads them). boss-bot
#: writes its own rather than relying on arq's health key, which arq only refreshes between
#: polls: a worker busy with long jobs would look dead.
HEALTH_KEY_PREFIX = "boss-bot:worker:"
#: How long Redis calls keep retrying through a Redis restart before giving up (seconds,
#: roughly: exponential backoff capped at 1 s per try).
REDIS_RETRY_SECONDS = 30


def redis_settings(settings: BossSettings) -> RedisSettings:
    """arq's connection settings for REDIS_URL, retrying through short Redis outages."""
    from arq.connections import RedisSettings
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    if settings.redis_url is None:
        raise ConfigurationError("REDIS_URL is not set")
    made = RedisSettings.from_dsn(settings.redis_url.get_secret_value())
    made.conn_timeout = 2
    made.conn_retries = REDIS_RETRY_SECONDS
    made.retry_on_timeout = True
    made.retry_on_error = [RedisConnectionError, RedisTimeoutError, OSError]
    made.retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=REDIS_RETRY_SECONDS + 5)
    return made


class Tickets:
    """The :class:`~boss_bot.core.pipeline.Dispatch` of distributed mode: enqueue tickets,
    count the ones waiting."""

    def __init__(self, pool: ArqRedis) -> None:
        self.pool = pool

    @classmethod
    async def connect(cls, settings: BossSettings) -> Tickets:
        from arq import create_pool

        return cls(await create_pool(redis_settings(settings), default_queue_name=QUEUE_NAME))

    async def ticket(self, job_id: str) -> None:
        """One more ticket (``job_id`` only names it in logs: the ticket runs the fair next)."""
        await self.pool.enqueue_job(TICKET_FUNCTION, job_id, _queue_name=QUEUE_NAME)

    async def outstanding(self) -> int:
        """Tickets waiting or running (arq keeps a running one in its queue until it ends)."""
        return int(await self.pool.zcard(QUEUE_NAME))

    async def ping(self) -> bool:
        try:
            return bool(await self.pool.ping())
        except Exception:
            return False

    async def beat(self, worker: str, line: str, ttl_seconds: float) -> None:
        """A worker is alive (the key expires unless renewed within ``ttl_seconds``)."""
        await self.pool.set(f"{HEALTH_KEY_PREFIX}{worker}", line, px=int(ttl_seconds * 1000))

    async def health(self) -> dict[str, str]:
        """Each live worker's last heartbeat line."""
        found: dict[str, str] = {}
        async for key in self.pool.scan_iter(match=f"{HEALTH_KEY_PREFIX}*", count=100):
            value: Any = await self.pool.get(key)
            if value is not None:
                name = key.decode() if isinstance(key, bytes) else str(key)
                found[name.removeprefix(HEALTH_KEY_PREFIX)] = (
                    value.decode() if isinstance(value, bytes) else str(value)
                )
        return found

    async def close(self) -> None:
        await self.pool.aclose()
