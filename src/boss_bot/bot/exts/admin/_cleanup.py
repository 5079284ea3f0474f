"""Finding request directories nobody owns any more (pure apart from reading the disk)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from boss_bot.core import paths

#: A request directory younger than this may belong to a job starting right now.
MIN_AGE_SECONDS = 3600.0


def stale_request_dirs(
    root: Path, *, in_use: Iterable[Path] = (), min_age: float = MIN_AGE_SECONDS,
    now: float | None = None,
) -> list[Path]:  # fmt: skip
    """Request directories below ``root`` not ``in_use`` and untouched for ``min_age`` s."""
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    busy = {p.resolve() for p in in_use}
    return sorted(
        d
        for d in root.iterdir()
        if d.is_dir() and d.resolve() not in busy and now - d.stat().st_mtime >= min_age
    )


def remove_dirs(dirs: Iterable[Path]) -> tuple[int, int]:
    """Delete them; returns (directories, bytes) freed."""
    count = freed = 0
    for d in dirs:
        freed += paths.directory_bytes(d)
        paths.remove_tree(d)
        count += 1
    return count, freed
