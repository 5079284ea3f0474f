"""The store's tables (SQLAlchemy 2 ORM). Migrations in ``migrations/`` create them.

Times are UNIX seconds (floats, UTC): one representation for SQLite and PostgreSQL, cheap to
compare in window queries (rate limits, dedup windows, daily stats). Discord ids are 64-bit
(``BigInteger``); a null guild means a DM.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from boss_bot.core.jobs.job import QUEUED


def now() -> float:
    return time.time()


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}  # noqa: RUF012


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    url: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(32), default="generic")
    media_key: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32), default="download")
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    stage: Mapped[str] = mapped_column(String(32), default=QUEUED)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    resumed: Mapped[bool] = mapped_column(Boolean, default=False)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    work_dir: Mapped[str | None] = mapped_column(Text)
    posted_batches: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_by: Mapped[int | None] = mapped_column(BigInteger)
    #: Distributed mode: the worker running the job and when its lease runs out (it renews it
    #: while alive; an expired lease puts the job back in the queue for another worker).
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[float | None] = mapped_column(Float)
    #: Whether the job's media was marked sensitive (adult); None until known (0004).
    sensitive: Mapped[bool | None] = mapped_column(Boolean)
    #: Asked through an interaction: its follow-up webhook (application id, token, expiry,
    #: per-file limit). A credential for 15 minutes, so never part of ``options`` (0005).
    reply: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: When the job last changed stage or status: the stall watchdog's clock (0008).
    stage_at: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float, default=now)
    started_at: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)

    files: Mapped[list[FileRow]] = relationship(back_populates="job", lazy="selectin")

    __table_args__ = (
        Index("ix_jobs_status_created", "status", "created_at"),
        Index("ix_jobs_user_created", "user_id", "created_at"),
        Index("ix_jobs_user_started", "user_id", "started_at"),  # the fair pick (0003)
        Index("ix_jobs_guild_created", "guild_id", "created_at"),
    )


class FileRow(Base):
    __tablename__ = "job_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    mime_type: Mapped[str | None] = mapped_column(String(100))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[float | None] = mapped_column(Float)
    compressed_from_bytes: Mapped[int | None] = mapped_column(BigInteger)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    jump_url: Mapped[str | None] = mapped_column(Text)

    job: Mapped[JobRow] = relationship(back_populates="files")


class HistoryRow(Base):
    """Canonical media key → the job (and first post) that delivered it, per guild."""

    __tablename__ = "history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    media_key: Mapped[str] = mapped_column(String(300))
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    jump_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float, default=now)

    __table_args__ = (Index("ix_history_key", "media_key", "guild_id", "created_at"),)


class MetricRow(Base):
    """Per job: where the time and bytes went, and how it ended."""

    __tablename__ = "metrics"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    platform: Mapped[str] = mapped_column(String(32))
    method: Mapped[str | None] = mapped_column(String(16))
    download_seconds: Mapped[float | None] = mapped_column(Float)
    bytes_downloaded: Mapped[int] = mapped_column(BigInteger, default=0)
    compression_seconds: Mapped[float | None] = mapped_column(Float)
    compression_ratio: Mapped[float | None] = mapped_column(Float)
    compressed_files: Mapped[int] = mapped_column(Integer, default=0)
    upload_seconds: Mapped[float | None] = mapped_column(Float)
    bytes_uploaded: Mapped[int] = mapped_column(BigInteger, default=0)
    outcome: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[float] = mapped_column(Float, default=now, index=True)
    #: The tool that served the job, or the last one that failed; whether it was not the first
    #: of the platform's order; each tool's try as ``[tool, outcome, verdict]`` (0007).
    tool: Mapped[str | None] = mapped_column(String(16))
    fallback_tool: Mapped[bool | None] = mapped_column(Boolean)
    tool_attempts: Mapped[list[Any] | None] = mapped_column(JSON)


class GuildLimitRow(Base):
    """A per-file limit learned from Discord's 413 (lower than the guild's tier says)."""

    __tablename__ = "guild_limits"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    file_limit_bytes: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[float] = mapped_column(Float, default=now)


class GuildSettingsRow(Base):
    """What one server changed of its settings: only the keys that differ from the defaults,
    in their JSON form (ids as strings). No row: the server has exactly the defaults."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[float] = mapped_column(Float, default=now)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)


class GuildSettingChangeRow(Base):
    """The audit of per-server settings: one row per key changed (set, reset or import)."""

    __tablename__ = "guild_setting_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    changed_by: Mapped[int | None] = mapped_column(BigInteger)
    changed_at: Mapped[float] = mapped_column(Float, default=now)

    __table_args__ = (Index("ix_guild_setting_changes_guild", "guild_id", "id"),)


class UserOptOutRow(Base):
    """A user who opted out of automatic handling (`$ignore-me`), everywhere."""

    __tablename__ = "user_opt_outs"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)


class SettingsVersionRow(Base):
    """One row (id 1): bumped by every write of settings or opt-outs, in the same transaction,
    so another process learns cheaply that its cache may be stale."""

    __tablename__ = "settings_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[float] = mapped_column(Float, default=now)


class ShardLeaseRow(Base):
    """A bot process's claim on one gateway shard (distributed mode, 0006): who runs it, out of
    how many shards, until when. The owner renews it while alive; a second process refuses a
    shard whose lease has not run out, so no guild is answered twice."""

    __tablename__ = "shard_leases"

    shard_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    shard_count: Mapped[int] = mapped_column(Integer)
    #: ``host:pid:random``, unique per process.
    owner: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[float] = mapped_column(Float)


__all__ = [
    "Base",
    "FileRow",
    "GuildLimitRow",
    "GuildSettingChangeRow",
    "GuildSettingsRow",
    "HistoryRow",
    "JobRow",
    "MetricRow",
    "SettingsVersionRow",
    "ShardLeaseRow",
    "UserOptOutRow",
    "now",
]
