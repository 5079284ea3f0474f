"""What a tool left in the request directory, turned into the files users get.

Whichever path ran, the same checks apply before anyone sees a file: it resolves inside the
request directory (symlinks are dropped), it is neither partial nor a sidecar, its name from
remote metadata is sanitised, it is under the size limit, :func:`validate.inspect` accepts it,
and an mp4 with its index at the end is remuxed faststart so Discord plays it inline.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

from boss_bot.core import paths
from boss_bot.core.errors import (
    BossBotError,
    CorruptMediaError,
    FileTooLargeError,
    NoMediaFoundError,
    PlaceholderMediaError,
)
from boss_bot.core.models import MediaFile, MediaMetadata
from boss_bot.core.mp4 import ensure_faststart
from boss_bot.core.tools import gallerydl
from boss_bot.core.tools.errors_map import NO_MEDIA_MESSAGE
from boss_bot.core.validate import Rejection, inspect

if TYPE_CHECKING:
    from boss_bot.core.settings import BossSettings


def too_large_message(settings: BossSettings) -> str:
    """What users read when a file is over MAX_FILE_SIZE_MB, however it was caught."""
    return f"The file is larger than {settings.max_file_size_mb} MiB, the most this bot downloads."


async def finalise(settings: BossSettings, work: Path, reported: list[Path]) -> list[MediaFile]:
    """The finished media files in ``work``, checked, safely named and faststart.

    Reported paths come first (in the tool's order); anything else the tool left that is
    media (not partial, not a sidecar, not a symlink) is added after them.
    """
    seen: set[Path] = set()
    ordered: list[Path] = []
    for path in [*reported, *sorted(p for p in work.rglob("*") if p.is_file())]:
        if path.is_symlink():
            path.unlink(missing_ok=True)
            continue
        if not path.exists() or paths.is_partial(path) or _is_metadata(path):
            continue
        resolved = paths.ensure_inside(work, path)
        if resolved not in seen:
            seen.add(resolved)
            ordered.append(resolved)
    files: list[MediaFile] = []
    for path in ordered:
        safe = _safe_rename(path, work)
        if safe.stat().st_size > settings.max_file_size_bytes:
            raise FileTooLargeError(
                f"{safe.name} is over the size limit", user_message=too_large_message(settings)
            )
        rejection = await asyncio.to_thread(
            inspect,
            safe,
            min_media_bytes=settings.min_media_bytes,
            known_hashes=settings.placeholder_hashes,
        )
        if rejection is not None:
            raise _rejected(safe, rejection)
        await ensure_faststart(safe, ffmpeg=settings.ffmpeg_path)
        files.append(MediaFile.from_path(safe))
    if not files:
        raise NoMediaFoundError(
            "the tool finished without saving a file",
            user_message=NO_MEDIA_MESSAGE,
        )
    return files


def move_files(meta: MediaMetadata, work: Path, dest: Path) -> MediaMetadata:
    """Move finished files from the staging dir into ``dest`` (atomic renames, unique names)."""
    moved: list[MediaFile] = []
    for f in meta.files:
        target = dest / f.filename
        n = 1
        while target.exists():
            target = dest / f"{Path(f.filename).stem}-{n}{Path(f.filename).suffix}"
            n += 1
        os.replace(paths.ensure_inside(work, f.path), target)
        moved.append(f.model_copy(update={"path": target.resolve(), "filename": target.name}))
    return meta.model_copy(update={"files": moved})


def _rejected(path: Path, rejection: Rejection) -> BossBotError:
    """The error (and the user's sentence) for a file :func:`validate.inspect` refused."""
    detail = f"{path.name}: {rejection.reason}"
    if rejection.kind == "placeholder":
        return PlaceholderMediaError(
            detail, user_message=f"The link gave a placeholder, not media ({rejection.reason})."
        )
    if rejection.kind == "not_media":
        return NoMediaFoundError(detail, user_message="The link returned a web page, not media.")
    if rejection.kind == "bomb":
        return CorruptMediaError(
            detail, user_message=f"That image is far too large to process ({rejection.reason})."
        )
    return CorruptMediaError(detail, user_message=f"The download is broken: {rejection.reason}.")


def _is_metadata(path: Path) -> bool:
    return path.name.endswith((".info.json", ".description")) or gallerydl.is_sidecar(path)


def _safe_rename(path: Path, work: Path) -> Path:
    """Rename ``path`` to its sanitised name (keeping it unique); returns the new path."""
    name = paths.sanitize_filename(path.name)
    if name == path.name:
        return path
    target = path.with_name(name)
    n = 1
    while target.exists():
        stem, dot, ext = name.rpartition(".")
        target = path.with_name(f"{stem or name}-{n}{dot}{ext}" if dot else f"{name}-{n}")
        n += 1
    paths.ensure_inside(work, target)
    os.replace(path, target)
    return target
