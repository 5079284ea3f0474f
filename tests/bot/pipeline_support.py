"""Pipeline fixtures shared by tests/bot and tests/persistence: a real SQLite store in the
test's temp dir, a pipeline on the shared warm worker pool, and a recording uploader (the
protocol's other side, which the bot implements with discord.py)."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest_asyncio

from boss_bot.core.events import EventBus
from boss_bot.core.jobs import JobRequest
from boss_bot.core.manager import DownloadManager
from boss_bot.core.pipeline import JobHost, Pipeline, Posted, UploadBatch, UploadTooLargeError
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store, open_store
from boss_bot.core.telemetry import Telemetry
from boss_bot.core.workers.pool import WorkerPool

T = TypeVar("T")
StartPipeline = Callable[..., Awaitable[Pipeline]]
_message_ids = itertools.count(9_000_000)


class RecordingUploader:
    """Keeps every batch; refuses files over ``refuse_over`` as Discord's 413 would."""

    def __init__(self, limit: int, *, refuse_over: int | None = None) -> None:
        self.file_limit = limit
        self.refuse_over = refuse_over
        self.batches: list[UploadBatch] = []
        self.posted: list[Posted] = []
        self.refused = 0

    async def send(self, batch: UploadBatch) -> Posted:
        for f in batch.files:
            assert f.path.is_file()  # still on disk while being posted
        if self.refuse_over is not None and any(
            f.size_bytes > self.refuse_over for f in batch.files
        ):
            self.refused += 1
            raise UploadTooLargeError("413", user_message="too large")
        self.batches.append(batch)
        message_id = next(_message_ids)
        posted = Posted(message_id, f"https://discord.com/channels/1/2/{message_id}")
        self.posted.append(posted)
        return posted


async def eventually(
    check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05
) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; bounded by ``timeout``.

    For state that lives in the database or on disk, where there is no event to wait on.
    """
    last: Any = None
    for _ in range(max(1, math.ceil(timeout / interval))):
        last = check()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise TimeoutError(f"not within {timeout} s (last: {last!r})")


def request(
    url: str, *, upload: bool = True, user: int = 1, guild: int | None = 1, **kw: Any
) -> JobRequest:
    return JobRequest(url=url, user_id=user, guild_id=guild, channel_id=2, upload=upload, **kw)


@pytest_asyncio.fixture
async def start_pipeline(
    make_settings: Callable[..., BossSettings], worker_pool: WorkerPool
) -> AsyncIterator[StartPipeline]:
    """``await start_pipeline(**settings)``: a started pipeline on a fresh SQLite store.

    ``start=False`` leaves it unstarted (submit first, then ``await pipeline.start()``);
    ``store=`` reuses a store (a "restart" on the same database).
    """
    made: list[tuple[Pipeline, Store, bool]] = []

    async def build(
        *, start: bool = True, store: Store | None = None, host: JobHost | None = None,
        **overrides: Any,
    ) -> Pipeline:  # fmt: skip
        settings = make_settings(**overrides)
        own = store is None
        store = store or await open_store(settings)
        pipeline = Pipeline(settings, DownloadManager(settings, pool=worker_pool), store,
                            bus=EventBus(), telemetry=Telemetry(), host=host)  # fmt: skip
        made.append((pipeline, store, own))
        if start:
            await pipeline.start()
        return pipeline

    yield build
    for pipeline, store, own in reversed(made):
        await pipeline.close()
        if own:
            await store.close()
