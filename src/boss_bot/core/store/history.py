"""Download history: "this media was already posted here" and the deduplicated archive."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from boss_bot.core.store.schema import FileRow, HistoryRow, JobRow, now


@dataclass(frozen=True)
class PriorPost:
    job_id: str
    jump_url: str | None
    posted_at: float


@dataclass(frozen=True)
class StoredFile:
    """A file recorded for a job (what `job_files` holds)."""

    path: str
    size_bytes: int
    sha256: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    compressed_from_bytes: int | None = None
    archived: bool = False
    message_id: int | None = None
    jump_url: str | None = None


class History:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def recent_post(
        self, media_key: str, guild_id: int | None, window_seconds: float
    ) -> PriorPost | None:
        """The latest post of ``media_key`` in this guild within the window, if any."""
        since = now() - window_seconds
        query = (
            select(HistoryRow)
            .where(HistoryRow.media_key == media_key, HistoryRow.created_at >= since)
            .where(
                HistoryRow.guild_id.is_(None)
                if guild_id is None
                else HistoryRow.guild_id == guild_id
            )
            .order_by(HistoryRow.created_at.desc())
            .limit(1)
        )
        async with self._sessions() as s:
            row = (await s.scalars(query)).first()
        return PriorPost(row.job_id, row.jump_url, row.created_at) if row else None

    async def record_post(
        self, media_key: str, guild_id: int | None, job_id: str, jump_url: str | None
    ) -> None:
        async with self._sessions.begin() as s:
            s.add(HistoryRow(media_key=media_key, guild_id=guild_id, job_id=job_id,
                             jump_url=jump_url, created_at=now()))  # fmt: skip

    async def add_files(self, job_id: str, files: list[StoredFile]) -> None:
        async with self._sessions.begin() as s:
            for f in files:
                s.add(FileRow(job_id=job_id, **f.__dict__))

    async def set_posted(self, job_id: str, path: str, message_id: int, jump_url: str) -> None:
        async with self._sessions.begin() as s:
            for row in (
                await s.scalars(
                    select(FileRow).where(FileRow.job_id == job_id, FileRow.path == path)
                )
            ).all():
                row.message_id, row.jump_url = message_id, jump_url

    async def archived_by_sha(self, sha256: str) -> StoredFile | None:
        """An archive file with this content already stored (download-only dedup).

        The newest record wins: if an archived file was deleted by hand and stored again, the
        new copy is the one to point at.
        """
        async with self._sessions() as s:
            row = (
                await s.scalars(
                    select(FileRow)
                    .where(FileRow.sha256 == sha256, FileRow.archived.is_(True))
                    .order_by(FileRow.id.desc())
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        return StoredFile(path=row.path, size_bytes=row.size_bytes, sha256=row.sha256,
                          mime_type=row.mime_type, archived=True)  # fmt: skip

    async def files(self, job_id: str) -> list[StoredFile]:
        async with self._sessions() as s:
            rows = (
                await s.scalars(
                    select(FileRow).where(FileRow.job_id == job_id).order_by(FileRow.id)
                )
            ).all()
        return [
            StoredFile(**{k: getattr(r, k) for k in StoredFile.__dataclass_fields__}) for r in rows
        ]

    async def list(
        self, *, guild_id: int | None = None, limit: int = 20
    ) -> list[dict[str, object]]:
        """Recent history rows joined with their job, newest first."""
        query = (
            select(HistoryRow, JobRow.url, JobRow.user_id, JobRow.platform)
            .join(JobRow, JobRow.id == HistoryRow.job_id)
            .order_by(HistoryRow.created_at.desc())
            .limit(limit)
        )
        if guild_id is not None:
            query = query.where(HistoryRow.guild_id == guild_id)
        async with self._sessions() as s:
            rows = (await s.execute(query)).all()
        return [
            {"media_key": h.media_key, "guild_id": h.guild_id, "job_id": h.job_id,
             "jump_url": h.jump_url, "posted_at": h.created_at, "url": url,
             "user_id": user_id, "platform": platform}
            for h, url, user_id, platform in rows
        ]  # fmt: skip
