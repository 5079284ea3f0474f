"""Signed, expiring links to kept files: what is posted when a file cannot fit in a message.

Discord plays a direct link to an mp4 or an image inline, so a file that no compression makes
fit (or that a server wants as it is: ``too_big=link``) is kept on this machine and posted as
``{PUBLIC_BASE_URL}/f/{token}/{name}``, served by the HTTP server (``boss_bot.http``).

* **The token is the only key.** ``base64url(payload).base64url(hmac)``: the payload names the
  kept file (its directory below ``DOWNLOAD_DIR/.links`` and its name) and when the link
  expires, signed with HMAC-SHA256 under ``LINK_SECRET``. Nothing else in a request is trusted:
  a forged or expired token resolves to nothing, and the file's path comes from the signed
  payload and is checked to lie below the links directory, so no path outside it can be named.
* **Kept files expire.** Each lives in ``.links/<expiry>-<random>/<name>``; the expiry in the
  directory's name is what the clean-ups (``bossctl cleanup``, ``$cleanup``, and a sweep each
  time a file is kept) go by.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from boss_bot.core import paths
from boss_bot.core.errors import UnsafePathError

if TYPE_CHECKING:
    from boss_bot.core.settings import BossSettings

log = logging.getLogger(__name__)

LINKS_DIR = ".links"
_SIG_BYTES = 24  # 192 bits of the HMAC: ample, and shorter URLs


@dataclass(frozen=True)
class KeptFile:
    """A file kept for a link: where it is, its public URL, and until when it works."""

    path: Path
    url: str
    expires_at: float
    size_bytes: int

    @property
    def name(self) -> str:
        return self.path.name


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Links:
    """Keeps files for links, signs their URLs, and resolves a token back to its file."""

    def __init__(self, settings: BossSettings) -> None:
        if settings.public_base_url is None or settings.link_secret is None:
            raise ValueError("links need PUBLIC_BASE_URL and LINK_SECRET")
        self.base_url = settings.public_base_url
        self.root = settings.download_dir / LINKS_DIR
        self.ttl = settings.link_ttl_hours * 3600
        self._key = settings.link_secret.get_secret_value().encode()

    # -- signing -----------------------------------------------------------------------------
    def token(self, relative: str, expires_at: float) -> str:
        payload = json.dumps({"f": relative, "e": int(expires_at)}, separators=(",", ":"))
        body = _b64(payload.encode())
        return f"{body}.{_b64(self._sign(body))}"

    def _sign(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:_SIG_BYTES]

    def resolve(self, token: str, *, now: float | None = None) -> Path | None:
        """The kept file a token names, or None: forged, expired, malformed or gone."""
        body, _, sig = token.partition(".")
        try:
            given = _unb64(sig)
            payload = json.loads(_unb64(body))
            relative, expires = str(payload["f"]), float(payload["e"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        if not hmac.compare_digest(given, self._sign(body)):
            return None
        if (time.time() if now is None else now) >= expires:
            return None
        try:
            path = paths.ensure_inside(self.root, self.root / relative)
        except UnsafePathError:
            return None
        return path if path.is_file() and not path.is_symlink() else None

    # -- keeping -----------------------------------------------------------------------------
    def keep(self, src: Path, *, move: bool = False, now: float | None = None) -> KeptFile:
        """Keep ``src`` (moved, or copied when it is still needed) and sign a link to it."""
        now = time.time() if now is None else now
        expires = now + self.ttl
        self.sweep(now=now)
        folder = self.root / f"{int(expires)}-{secrets.token_hex(6)}"
        folder.mkdir(parents=True, mode=0o700)
        target = folder / paths.sanitize_filename(src.name)
        if move:
            try:
                os.replace(src, target)
            except OSError:  # another filesystem
                shutil.copy2(src, target)
                src.unlink(missing_ok=True)
        else:
            shutil.copy2(src, target)
        relative = f"{folder.name}/{target.name}"
        url = f"{self.base_url}/f/{self.token(relative, expires)}/{quote(target.name)}"
        return KeptFile(target, url, expires, target.stat().st_size)

    def expired(self, *, now: float | None = None) -> list[Path]:
        """Kept-file directories whose links have expired (the clean-ups remove them)."""
        return expired_link_dirs(self.root, now=now)

    def sweep(self, *, now: float | None = None) -> int:
        """Remove expired kept files now; returns how many directories went."""
        gone = self.expired(now=now)
        for folder in gone:
            paths.remove_tree(folder)
        if gone:
            log.info("removed %d expired link(s)", len(gone))
        return len(gone)


def expired_link_dirs(root: Path, *, now: float | None = None) -> list[Path]:
    """Directories below ``root`` (``DOWNLOAD_DIR/.links``) whose expiry has passed."""
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    found = []
    for folder in root.iterdir():
        stamp, _, _ = folder.name.partition("-")
        if folder.is_dir() and stamp.isdigit() and int(stamp) <= now:
            found.append(folder)
    return sorted(found)


__all__ = ["LINKS_DIR", "KeptFile", "Links", "expired_link_dirs"]
