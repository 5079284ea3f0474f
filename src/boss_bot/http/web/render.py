"""HTML out: the Jinja2 templates (autoescaped), the headers every page carries, static files.

* **Escaping.** Autoescape is on for every template, so a job's URL or error text (which come
  from users and from remote sites) is always text, never markup.
* **Content-Security-Policy.** Nothing inline: no ``<script>`` body, no ``style=`` attribute,
  no event-handler attribute, no ``eval`` (htmx is told not to inject its indicator styles,
  through the ``htmx-config`` meta tag in ``base.html``). Scripts, styles, images and the event
  stream come from this server only; no page may be framed.
* **Static files** are served with a content hash in their URL (``?v=…``): a request with the
  current hash may be cached for a year (``immutable``); any other must revalidate (ETag).
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from boss_bot.core.stats_text import human_bytes

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_PREFIX = "/static"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def secure(response: Response) -> Response:
    """Give a dashboard response (page, redirect, stream) the headers above."""
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def static_hashes(root: Path = STATIC) -> dict[str, str]:
    """Each static file's path (relative, with ``/``) → the first 12 hex of its SHA-256."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()[:12]
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


class CachedStatic(StaticFiles):
    """StaticFiles with Cache-Control: a year for the current versioned URL, else revalidate."""

    def __init__(self, directory: Path, hashes: dict[str, str]) -> None:
        super().__init__(directory=directory)
        self.hashes = hashes

    def file_response(
        self, full_path: Any, stat_result: Any, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        wanted = self.hashes.get(Path(self.get_path(scope)).as_posix())
        query = scope.get("query_string", b"").decode("latin-1")
        fresh = wanted is not None and query == f"v={wanted}"
        response.headers["Cache-Control"] = IMMUTABLE if fresh else REVALIDATE
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


# --- filters ---------------------------------------------------------------------------------


def when(ts: float | None) -> str:
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def short_time(ts: float | None) -> str:
    """``12-06 04:57`` (the full time is in the element's ``title``)."""
    return "—" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%m-%d %H:%M")


def iso(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def duration(seconds: float | None) -> str:
    """``4 s``, ``2 min 05 s``, ``3 h 07 min``."""
    if seconds is None:
        return "—"
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def size(n: float | None) -> str:
    return "—" if n is None else human_bytes(n)


def percent(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


class Pages:
    """The template environment and the response helpers of one app."""

    def __init__(self, version: str, hashes: dict[str, str] | None = None) -> None:
        self.hashes = static_hashes() if hashes is None else hashes
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            when=when, short=short_time, iso=iso, duration=duration, size=size, percent=percent
        )
        self.env.globals.update(asset=self.asset, version=version)

    def asset(self, name: str) -> str:
        """The versioned URL of a static file (a KeyError for a file that does not exist)."""
        return f"{STATIC_PREFIX}/{name}?v={self.hashes[name]}"

    def fragment(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    def macro(self, template: str, name: str, *args: Any, **kwargs: Any) -> str:
        """Render one macro of a template (the live stream renders rows with the page's macro)."""
        module = self.env.get_template(template).module
        return str(getattr(module, name)(*args, **kwargs))

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("session", getattr(request.state, "session", None))
        context.setdefault("path", request.url.path)
        context.setdefault("now", time.time())
        context.setdefault("notice", None)
        html = self.env.get_template(template).render(**context)
        return secure(HTMLResponse(html, status_code=status))


__all__ = ["CSP", "STATIC", "STATIC_PREFIX", "CachedStatic", "Pages", "secure", "static_hashes"]
