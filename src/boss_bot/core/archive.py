"""The download archive: ``DOWNLOAD_DIR/<platform>/<author>/<title>-<id>.<ext>``, deduplicated.

``download-only`` jobs (and uploads that failed) keep their files here. Every name part comes
from remote metadata, so each goes through :func:`~boss_bot.core.paths.sanitize_filename`; a
``<title>-<id>.info.json`` sidecar beside the file says where it came from.

Files are deduplicated by sha256: before a file is moved in, the store is asked whether the same
content is already archived (``History.archived_by_sha``). If so the new copy is dropped and the
job's ``job_files`` row points at the existing file, so a clip downloaded ten times is on disk
once. The check and the move run under one lock, so two jobs archiving the same content at the
same moment still store it once. Hashing runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from boss_bot.core import paths
from boss_bot.core.dedup import digest
from boss_bot.core.models import MediaFile, MediaMetadata, file_type_for
from boss_bot.core.settings import BossSettings
from boss_bot.core.store.history import History, StoredFile

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".info.json"
UNKNOWN_AUTHOR = "unknown"


@dataclass(frozen=True)
class ArchivedFile:
    """Where one downloaded file ended up."""

    path: Path
    size_bytes: int
    sha256: str
    mime_type: str
    #: The content was already archived: nothing new was stored, ``path`` is the old copy.
    duplicate: bool
    sidecar: Path | None = None


def archive_name(meta: MediaMetadata, f: MediaFile, index: int, count: int) -> Path:
    """``<platform>/<author>/<title>-<id>.<ext>`` relative to the archive root (pure).

    Several files from one link (a gallery) get ``-<n>`` after the id, in download order.
    """
    platform = paths.sanitize_filename(meta.platform or "unknown", fallback="unknown")
    author = paths.sanitize_filename(meta.author or UNKNOWN_AUTHOR, fallback=UNKNOWN_AUTHOR)
    title = meta.title or Path(f.filename).stem
    stem = f"{title}-{meta.id}" if meta.id else title
    if count > 1:
        stem = f"{stem}-{index:02d}"
    ext = f.path.suffix.lower() if f.path.suffix else ""
    return Path(platform) / author / paths.sanitize_filename(f"{stem}{ext}", fallback="media")


def sidecar_for(path: Path) -> Path:
    name = path.name[: -len(path.suffix)] if path.suffix else path.name
    return path.with_name(f"{name}{SIDECAR_SUFFIX}")


class Archive:
    """Moves a job's downloaded files into the archive and records them for the job."""

    def __init__(self, settings: BossSettings, history: History) -> None:
        self.root = settings.download_dir
        self.history = history
        self._lock = asyncio.Lock()

    async def store(self, meta: MediaMetadata, job_id: str) -> list[ArchivedFile]:
        """Archive every file of ``meta`` (still in the job's directory) for ``job_id``."""
        files = [f for f in meta.files if f.path.exists()]
        out: list[ArchivedFile] = []
        for i, f in enumerate(files, start=1):
            d = await asyncio.to_thread(digest, f.path)
            mime = f.mime_type or file_type_for(f.path)[1]
            async with self._lock:
                existing = await self.history.archived_by_sha(d.sha256)
                if existing is not None and _same_file(Path(existing.path), d.size):
                    await asyncio.to_thread(_unlink, f.path)
                    kept = ArchivedFile(Path(existing.path), d.size, d.sha256, mime, True,
                                        _existing_sidecar(Path(existing.path)))  # fmt: skip
                else:
                    rel = archive_name(meta, f, i, len(files))
                    target = await asyncio.to_thread(self._move_in, f.path, rel)
                    sidecar = await asyncio.to_thread(
                        self._write_sidecar, target, meta, f, d.sha256, job_id
                    )
                    kept = ArchivedFile(target, d.size, d.sha256, mime, False, sidecar)
                await self.history.add_files(job_id, [_stored(kept, meta, len(files))])
            out.append(kept)
        return out

    # -- blocking helpers (run in a worker thread) -------------------------------------------
    def _move_in(self, src: Path, rel: Path) -> Path:
        """Move ``src`` to ``root/rel`` (a free name), atomically: a rename on one filesystem,
        else a copy to a temp name beside the target and ``os.replace``."""
        wanted = paths.ensure_inside(self.root, self.root / rel)
        wanted.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = _free_name(wanted)
        try:
            os.replace(src, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
            try:
                shutil.copyfile(src, tmp)
                os.replace(tmp, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
            _unlink(src)
        return target.resolve()

    def _write_sidecar(
        self, target: Path, meta: MediaMetadata, f: MediaFile, sha256: str, job_id: str
    ) -> Path:
        info = {
            "job_id": job_id,
            "url": meta.url,
            "platform": meta.platform,
            "id": meta.id,
            "title": meta.title,
            "author": meta.author,
            "description": meta.description,
            "duration": meta.duration,
            "original_filename": f.filename,
            "size_bytes": target.stat().st_size,
            "sha256": sha256,
            "mime_type": f.mime_type,
            "tool": meta.tool,
            "download_method": meta.download_method,
            "downloaded_at": meta.download_timestamp.astimezone(UTC).isoformat(),
            "archived_at": datetime.now(UTC).isoformat(),
        }
        data = json.dumps(info, indent=2, ensure_ascii=False, default=str).encode()
        return paths.atomic_write_bytes(sidecar_for(target), data, base=self.root)


def _free_name(path: Path) -> Path:
    """``path``, or ``stem-1.ext``, ``stem-2.ext``… when taken (different content: same content
    never gets here)."""
    n = 1
    target = path
    while target.exists() or sidecar_for(target).exists():
        target = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return target


def _same_file(path: Path, size: int) -> bool:
    """The archived copy is still there with the expected size (it may have been deleted by
    hand; then the new download is stored again instead of pointing at nothing)."""
    try:
        return path.is_file() and path.stat().st_size == size
    except OSError:
        return False


def _existing_sidecar(path: Path) -> Path | None:
    side = sidecar_for(path)
    return side if side.is_file() else None


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _stored(a: ArchivedFile, meta: MediaMetadata, count: int) -> StoredFile:
    single = count == 1
    data = meta.platform_data or {}
    return StoredFile(
        path=str(a.path),
        size_bytes=a.size_bytes,
        sha256=a.sha256,
        mime_type=a.mime_type,
        width=_int(data.get("width")) if single else None,
        height=_int(data.get("height")) if single else None,
        duration=meta.duration if single else None,
        archived=True,
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


__all__ = ["Archive", "ArchivedFile", "archive_name", "sidecar_for"]
