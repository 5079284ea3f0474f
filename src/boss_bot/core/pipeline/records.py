"""What is recorded for each posted file: its size, hash, type, dimensions and message.

Each batch's files are recorded with the message they went out in before the next batch is
sent, so a job run again (after a crash, on another worker) knows what was already posted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from boss_bot.core.dedup import digest
from boss_bot.core.models import file_type_for
from boss_bot.core.pipeline.context import Dims
from boss_bot.core.pipeline.types import FileReport, OutFile, Posted
from boss_bot.core.store.history import StoredFile


async def stored_files(
    batch: Sequence[OutFile],
    posted: Posted | None,
    reports: dict[Path, FileReport],
    dims: dict[Path, Dims],
) -> list[StoredFile]:
    """The rows for one posted batch (the sha256 of each file is read off the loop)."""
    rows = []
    for f in batch:
        d = await asyncio.to_thread(digest, f.path)
        report = reports.get(f.source)
        width, height, duration = dims.get(f.path, (None, None, None))
        rows.append(
            StoredFile(
                path=str(f.path),
                size_bytes=f.size_bytes,
                sha256=d.sha256,
                mime_type=file_type_for(f.path)[1],
                width=width,
                height=height,
                duration=duration,
                compressed_from_bytes=(
                    report.original_bytes if report is not None and report.compressed else None
                ),
                message_id=posted.message_id if posted else None,
                jump_url=posted.jump_url if posted else None,
            )
        )
    return rows


__all__ = ["stored_files"]
