"""Content hashes, duplicate groups and placeholder detection.

Shared by the pipeline (reject placeholders, deduplicate the archive) and ``bossctl dedup``.
Hashing reads whole files: callers on the event loop run these in a worker thread or process.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: md5 of the empty file: the most common "download" that is not media at all.
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
_IMAGE_SUFFIXES = {".gif", ".png", ".jpg", ".jpeg", ".webp", ".bmp"}
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Digest:
    md5: str
    sha256: str
    size: int


def digest(path: Path) -> Digest:
    """md5 and sha256 of a file in one read (md5 because placeholder lists are often md5)."""
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            md5.update(chunk)
            sha.update(chunk)
            size += len(chunk)
    return Digest(md5.hexdigest(), sha.hexdigest(), size)


def placeholder_reason(
    path: Path,
    d: Digest,
    *,
    min_media_bytes: int,
    known_hashes: Iterable[str] = (),
) -> str | None:
    """Why ``path`` is a placeholder rather than media, or None.

    The empty file, a tiny image (below ``min_media_bytes``: the 1×1 and 45-byte "removed"
    GIFs sites serve), or a file whose md5/sha256 is on the configured list.
    """
    if d.size == 0 or d.md5 == EMPTY_MD5:
        return "the file is empty"
    if path.suffix.lower() in _IMAGE_SUFFIXES and d.size < min_media_bytes:
        return f"the image is a {d.size}-byte placeholder"
    known = {h.lower() for h in known_hashes}
    if d.md5 in known or d.sha256 in known:
        return "the file is a known placeholder"
    return None


def url_is_placeholder(url: str, patterns: Sequence[str]) -> bool:
    """True when ``url`` matches one of the configured placeholder-image URL patterns."""
    return any(re.search(p, url) for p in patterns)


def duplicate_groups(paths: Iterable[Path]) -> list[list[Path]]:
    """Groups of files with identical content (sorted by mtime, oldest first), size first.

    Only files whose size collides are hashed, so a scan of a large archive reads little.
    """
    by_size: dict[int, list[Path]] = defaultdict(list)
    for p in paths:
        if p.is_file() and not p.is_symlink():
            by_size[p.stat().st_size].append(p)
    groups: list[list[Path]] = []
    for same_size in by_size.values():
        if len(same_size) < 2:
            continue
        by_hash: dict[str, list[Path]] = defaultdict(list)
        for p in same_size:
            by_hash[digest(p).sha256].append(p)
        groups += [
            sorted(g, key=lambda q: (q.stat().st_mtime, str(q)))
            for g in by_hash.values()
            if len(g) > 1
        ]
    return sorted(groups, key=lambda g: str(g[0]))
