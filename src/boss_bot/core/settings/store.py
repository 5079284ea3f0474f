"""Store settings: the database, the job queue and its quotas, and distributed (scale-out) mode.

One mixin, because distributed mode is a property of the store: QUEUE_BACKEND=redis is only
valid with a shared PostgreSQL DATABASE_URL, a rule checked here.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from boss_bot.core.settings.common import comma_separated


class StoreSettings(BaseSettings):
    """The queue, history, quotas and scale-out part of
    :class:`~boss_bot.core.settings.BossSettings`."""

    # --- Queue, history and quotas --------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store (unset: SQLite at DATA_DIR/boss-bot.db; "
        "postgresql+asyncpg://… for larger deployments). Secret if it holds a password.",
    )
    max_queue_size: int = Field(default=200, ge=1, description="Jobs queued at once, overall.")
    max_queued_per_user: int = Field(
        default=10, ge=1, description="Jobs one user may have queued or running at once."
    )
    dedup_window_hours: float = Field(
        default=24,
        ge=0,
        description="Same media in the same server within this window: link the earlier post.",
    )
    min_media_bytes: int = Field(
        default=128, ge=0, description="Files smaller than this are placeholders, not media."
    )
    placeholder_hashes: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated md5/sha256 hashes of known placeholder files to reject.",
    )
    placeholder_url_patterns: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated regexes of placeholder-image URLs refused before download.",
    )
    user_rate_limit: int = Field(
        default=10, ge=0, description="Downloads per user per window (0: no limit)."
    )
    user_rate_window_seconds: int = Field(
        default=600, ge=1, description="The window for USER_RATE_LIMIT."
    )
    guild_daily_quota_mb: int = Field(
        default=0, ge=0, description="MiB one server may download per day (0: no quota)."
    )

    # --- Scale-out ---------------------------------------------------------------------------
    queue_backend: Literal["local", "redis"] = Field(
        default="local",
        description="`local`: this process downloads, compresses and posts (embedded mode). "
        "`redis`: the bot only queues; `bossctl worker` processes (any machine) run the jobs "
        "through arq on REDIS_URL. Needs a PostgreSQL DATABASE_URL.",
    )
    redis_url: SecretStr | None = Field(
        default=None,
        description="Redis for QUEUE_BACKEND=redis, e.g. redis://127.0.0.1:6379/0. Secret if it "
        "holds a password.",
    )
    worker_concurrency: int = Field(
        default=2, ge=1, le=64, description="Jobs one `bossctl worker` runs at once."
    )
    worker_lease_seconds: float = Field(
        default=30.0,
        ge=1.0,
        le=3600.0,
        description="A running job's lease: its worker renews it every third of this; when a "
        "worker dies, another takes the job over once the lease has run out.",
    )
    stall_seconds: int = Field(
        default=900,
        ge=30,
        description="A running job that stays this long in one stage (compressing one file, "
        "posting one message, …; downloading is allowed its attempts' timeouts) is reported "
        "as stalled: logged, counted in /metrics, marked by bossctl queue list.",
    )
    worker_job_timeout_seconds: int = Field(
        default=3600, ge=10, description="A worker gives up on one job after this long."
    )

    @field_validator("placeholder_hashes", "placeholder_url_patterns", mode="before")
    @classmethod
    def _store_lists_comma_separated(cls, value: object) -> object:
        return comma_separated(value)

    @model_validator(mode="after")
    def _distributed_needs_redis_and_postgres(self) -> Self:
        """Distributed mode shares one store between machines: SQLite cannot be that."""
        if self.queue_backend == "redis":
            if self.redis_url is None:
                raise ValueError("QUEUE_BACKEND=redis needs REDIS_URL (redis://host:6379/0)")
            url = self.database_url or ""
            if not url.startswith(("postgresql", "postgres")):
                raise ValueError(
                    "QUEUE_BACKEND=redis needs a shared PostgreSQL store: set DATABASE_URL="
                    "postgresql+asyncpg://user:pass@host/db (SQLite is one machine's file)"
                )
        return self
