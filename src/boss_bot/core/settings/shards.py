"""Sharding settings: how many gateway shards the bot has, which of them this process runs, and
the lease that keeps two processes off one shard (docs/scaling.md, *Sharding*).

The rules across variables are checked here, each with one line naming the variables: ids
must be below the count, naming ids needs an explicit count (every process must split the
guilds the same way), and running a subset needs distributed mode (the processes running the
other shards must share the store, the queue and the workers).
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from boss_bot.core.shards import format_ids, parse_ids


class ShardSettings(BaseSettings):
    """The sharding part of :class:`~boss_bot.core.settings.BossSettings`."""

    shard_count: int | Literal["auto"] = Field(
        default="auto",
        description="Gateway shards of the whole bot: `auto` (what Discord's /gateway/bot "
        "recommends, about one per 1,000 servers) or a number. Every bot process must use the "
        "same number.",
    )
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = Field(
        default=None,
        description="The shards this process runs, e.g. `0-3` or `0,2,5-7` (unset: all). Needs a "
        "numeric SHARD_COUNT; a subset needs QUEUE_BACKEND=redis (other processes run the rest).",
    )
    shard_lease_seconds: float = Field(
        default=30.0,
        ge=1.0,
        le=3600.0,
        description="Distributed mode: each bot process holds a lease per shard in the store, "
        "renewed every third of this; a second process on a held shard refuses to start. A "
        "killed process's shards are free again after this long.",
    )

    @field_validator("shard_count", mode="before")
    @classmethod
    def _shard_count_auto_or_number(cls, value: object) -> object:
        text = str(value).strip().lower()
        if text == "auto":
            return "auto"
        if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
            raise ValueError("must be `auto` or a number of shards (1 or more)")
        return int(text)

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_ids_ranges(cls, value: object) -> object:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, list | tuple):
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str):
            raise ValueError("expected shard ids like 0-3 or 0,2,5-7")
        return parse_ids(value)

    @model_validator(mode="after")
    def _shard_ids_fit_the_count(self) -> Self:
        ids = self.shard_ids
        if ids is None:
            return self
        count = self.shard_count
        if count == "auto":
            raise ValueError(
                f"SHARD_IDS={format_ids(ids)} needs a numeric SHARD_COUNT, not auto: every bot "
                "process must split the servers over the same number of shards"
            )
        outside = [i for i in ids if i >= count]
        if outside:
            has = f"shards 0-{count - 1}" if count > 1 else "shard 0 only"
            raise ValueError(
                f"SHARD_IDS names shard {format_ids(outside)}, but SHARD_COUNT={count} has {has}"
            )
        if len(ids) < count and getattr(self, "queue_backend", "local") != "redis":
            raise ValueError(
                f"SHARD_IDS={format_ids(ids)} runs {len(ids)} of {count} shards: running a subset "
                "needs distributed mode (QUEUE_BACKEND=redis), so that the processes running the "
                "other shards share the store, the queue and the workers"
            )
        return self
