"""The line protocol between the pool (parent) and a worker process (child).

One JSON object per line. Parent → child on stdin: ``{"op": "download", ...}`` (see
:class:`DownloadRequest`), or ``{"op": "probe", "url": str}`` (which extractor each tool has
for a URL, answered ``{"type": "done", "extractors": {"gallery-dl": str | null, "yt-dlp":
str | null}}``; see :class:`ProbeRequest`). Child → parent on its own protocol pipe (the
child's original stdout; its fd 1 is pointed at stderr so libraries that print cannot corrupt
the stream):

- ``{"type": "ready", "pid": int, "warm_seconds": float}`` once, after imports;
- ``{"type": "progress", "status": str, "downloaded_bytes", "total_bytes", "speed", "filename"}``;
- ``{"type": "done", "tool": str, "info": dict | null, "records": [[path, kwdict], ...],
  "log": [str]}`` once per request on success;
- ``{"type": "error", "tool": str, "code": str, "message": str, "log": [str]}`` on failure.

Like yt-dlp's hooks, a reader checks ``type`` first and ignores values it does not know.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

# Message types (child → parent).
READY = "ready"
PROGRESS = "progress"
DONE = "done"
ERROR = "error"

Tool = Literal["yt-dlp", "gallery-dl", "auto"]


class DownloadRequest(TypedDict):
    """One download for a worker. ``auto`` means gallery-dl if it has an extractor, else yt-dlp."""

    op: Literal["download"]
    tool: Tool
    url: str
    dest: str
    max_bytes: int
    ytdlp_params: dict[str, Any]
    gallerydl_config: list[list[Any]]
    gallerydl_config_file: str | None


class ProbeRequest(TypedDict):
    """Which extractor each tool has for ``url`` (no network): gallery-dl's
    ``category:subcategory``, yt-dlp's ``IE_NAME`` (``generic`` when only that matches)."""

    op: Literal["probe"]
    url: str
