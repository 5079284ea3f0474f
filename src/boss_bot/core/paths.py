"""Request directories and safe file names.

Every download gets its own directory (mode 0700) below ``DOWNLOAD_DIR/.requests``; tools write
only there, every path we touch is checked to resolve inside it, and names that came from remote
metadata go through :func:`sanitize_filename` before anyone sees them.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import unicodedata
from pathlib import Path

from boss_bot.core.errors import UnsafePathError

#: Longest file name we create, in bytes of UTF-8 (ext4 allows 255; leave room for ".part").
MAX_NAME_BYTES = 180

_WINDOWS_RESERVED = {
    "CON", "PRN", "AUX", "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}  # fmt: skip
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_SPACES = re.compile(r"\s+")
#: Suffixes tools use for unfinished files; such files are never results.
PARTIAL_SUFFIXES = (".part", ".ytdl", ".tmp", ".temp")


def sanitize_filename(
    name: str, *, fallback: str = "media", max_bytes: int = MAX_NAME_BYTES
) -> str:
    """A name that is safe as one path component on any filesystem we care about.

    Removes separators, control characters and NUL; refuses names that are only dots; strips a
    leading '-' (so a name can never read as a command-line option) and leading dots (no hidden
    files); avoids Windows reserved names; and truncates to ``max_bytes`` of UTF-8 while keeping
    the extension. Returns ``fallback`` when nothing usable is left.
    """
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE_CHARS.sub("_", name)
    name = _SPACES.sub(" ", name).strip()
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 10 or not ext.isalnum():
        stem, ext = name, ""
    stem = stem.strip(" .").lstrip("-").strip()
    if not stem.strip("._-"):
        stem = fallback
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    suffix = f".{ext.lower()}" if ext else ""
    limit = max(1, max_bytes - len(suffix.encode()))
    encoded = stem.encode("utf-8")
    if len(encoded) > limit:
        stem = encoded[:limit].decode("utf-8", "ignore").rstrip(" .") or fallback
    return stem + suffix


def ensure_inside(base: Path, candidate: Path) -> Path:
    """Return ``candidate`` resolved, or raise :class:`UnsafePathError` if it escapes ``base``.

    Symlinks are resolved first, so a link pointing outside is caught too.
    """
    base_r = base.resolve()
    resolved = (
        (base_r / candidate).resolve() if not candidate.is_absolute() else candidate.resolve()
    )
    if resolved != base_r and base_r not in resolved.parents:
        raise UnsafePathError(
            f"path {candidate} escapes {base}",
            user_message="A file name tried to leave its folder.",
        )
    return resolved


def new_request_dir(root: Path, label: str = "req") -> Path:
    """Create a fresh private directory (0700) for one request below ``root``; absolute path."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    safe_label = sanitize_filename(label, fallback="req", max_bytes=40).replace(" ", "_")
    path = root.resolve() / f"{safe_label}-{secrets.token_hex(6)}"
    path.mkdir(mode=0o700)
    return path


def is_partial(path: Path) -> bool:
    """True for files a tool left unfinished (``.part``, ``.ytdl``, fragments)."""
    name = path.name
    return name.endswith(PARTIAL_SUFFIXES) or ".part-Frag" in name or name.endswith(".part.tmp")


def clear_directory(path: Path) -> None:
    """Remove everything inside ``path`` but keep the directory (a retry reuses it)."""
    if not path.is_dir():
        return
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                child.unlink()


def remove_tree(path: Path) -> None:
    """Delete a request directory and everything in it (missing is fine)."""
    shutil.rmtree(path, ignore_errors=True)


def atomic_write_bytes(target: Path, data: bytes, *, base: Path) -> Path:
    """Write ``data`` to ``target`` (inside ``base``) via a temp file and ``os.replace``."""
    target = ensure_inside(base, target)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return target


def directory_bytes(path: Path) -> int:
    """Bytes of all regular files below ``path`` (partial files included: they are on disk)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.lstat(os.path.join(root, name)).st_size  # noqa: PTH118
    return total
