"""A warm download worker: ``python -m boss_bot.core.workers.child``.

Started by :class:`~boss_bot.core.workers.pool.WorkerPool`. It imports yt-dlp and gallery-dl and
loads their extractor lists once, then runs one download at a time, each request on stdin and
each answer a JSON line on the protocol pipe (see :mod:`.protocol`). It never decides policy:
options arrive fully built from the adapters, and errors go back as text for the parent to
classify. To cancel a job, the parent kills this process's group; it is then replaced.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import IO, Any

from boss_bot.core.workers import protocol

_TOO_LARGE = "BOSS_FILE_TOO_LARGE: the download went over the size limit"
_PROGRESS_INTERVAL = 0.25  # seconds between progress lines for one file


class _Proto:
    """Writes protocol lines to the pipe the parent reads (our original stdout)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def send(self, message: dict[str, Any]) -> None:
        self._stream.write(json.dumps(message, default=str, ensure_ascii=False) + "\n")
        self._stream.flush()


class _LogTail(logging.Handler):
    """Keeps the tools' warning/error log lines: they are how failures are explained."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.lines.append(f"{record.levelname}: {record.getMessage()}")
            del self.lines[:-50]


class _YtdlpLogger:
    """yt-dlp's ``logger`` param: keep warnings and errors for the parent's classifier."""

    def __init__(self, tail: _LogTail) -> None:
        self._tail = tail

    #: yt-dlp says these at debug/info level, yet they explain why nothing was saved.
    _TELLING = ("larger than max-filesize", "does not pass filter")

    def debug(self, msg: str) -> None:
        if msg.startswith("ERROR") or any(t in msg for t in self._TELLING):
            self._tail.lines.append(msg)

    def info(self, msg: str) -> None:
        self.debug(msg)

    def warning(self, msg: str) -> None:
        self._tail.lines.append(f"WARNING: {msg}")

    def error(self, msg: str) -> None:
        self._tail.lines.append(msg)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL us if the parent dies, so a crashed bot leaves no orphan worker."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def warm_up() -> float:
    """Import both tools and load their extractor lists; returns the seconds it took."""
    start = time.perf_counter()
    import gallery_dl.extractor
    import gallery_dl.job
    import yt_dlp
    import yt_dlp.extractor

    # gallery-dl loads extractor modules lazily on first use; doing it now, once, also avoids
    # its "generator already executing" race when the list is first walked concurrently.
    gallery_dl.extractor.extractors()
    gallery_dl.extractor.find("https://warm-up.invalid/")  # compiles every pattern once
    # yt-dlp compiles each extractor's URL regex on first match: ~1800 regexes, ~0.5 s that
    # would otherwise land on the first real download.
    for ie in yt_dlp.extractor.gen_extractor_classes():
        ie.suitable("https://warm-up.invalid/")
    with yt_dlp.YoutubeDL({"quiet": True, "no_warnings": True}) as ydl:
        ydl.get_info_extractor("Generic")  # the lazy loader imports the real class here
    import gallery_dl.downloader.http
    import yt_dlp.downloader.http
    import yt_dlp.postprocessor.ffmpeg

    return time.perf_counter() - start


class _Throttle:
    def __init__(self) -> None:
        self._last = 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last >= _PROGRESS_INTERVAL:
            self._last = now
            return True
        return False


def _run_ytdlp(req: protocol.DownloadRequest, proto: _Proto, tail: _LogTail) -> dict[str, Any]:
    import yt_dlp

    max_bytes = req["max_bytes"]
    throttle = _Throttle()

    def hook(d: dict[str, Any]) -> None:
        status = d.get("status")
        done = d.get("downloaded_bytes")
        if status == "downloading" and done is not None and done > max_bytes:
            raise yt_dlp.utils.DownloadError(_TOO_LARGE)
        if status == "downloading" and not throttle.due():
            return
        proto.send(
            {
                "type": protocol.PROGRESS,
                "status": status,
                "downloaded_bytes": done,
                "total_bytes": d.get("total_bytes") or d.get("total_bytes_estimate"),
                "speed": d.get("speed"),
                "filename": Path(d.get("filename") or "").name or None,
            }
        )

    params = dict(req["ytdlp_params"])
    if isinstance(params.get("match_filter"), str):  # JSON carries the expression, not a function
        params["match_filter"] = yt_dlp.utils.match_filter_func(params["match_filter"])
    params["progress_hooks"] = [hook]
    params["logger"] = _YtdlpLogger(tail)
    with yt_dlp.YoutubeDL(params) as ydl:
        info = ydl.extract_info(req["url"], download=True)
        if info is None:
            raise yt_dlp.utils.DownloadError("ERROR: no media found")
        info = ydl.sanitize_info(info)
    from boss_bot.core.tools.ytdlp import requested_files, slim_info

    if not any(p.exists() for p in requested_files(info)):
        # yt-dlp skips (without raising) e.g. a file over max_filesize; its log says why.
        raise _ToolFailure("yt-dlp", "\n".join(tail.lines) or "ERROR: no file was saved")
    return {"tool": "yt-dlp", "info": slim_info(info), "records": []}


class _RecordingOutput:
    """Stands in for gallery-dl's output object: records finished files, reports progress."""

    def __init__(self, proto: _Proto, max_bytes: int) -> None:
        self.proto = proto
        self.max_bytes = max_bytes
        self.finished: list[str] = []
        self.current: str | None = None

    def start(self, path: str) -> None:
        self.current = path

    def skip(self, path: str) -> None:
        pass

    def success(self, path: str) -> None:
        self.finished.append(path)
        size = os.path.getsize(path) if os.path.exists(path) else None  # noqa: PTH202,PTH110
        self.proto.send(
            {
                "type": protocol.PROGRESS,
                "status": "finished",
                "downloaded_bytes": size,
                "total_bytes": size,
                "speed": None,
                "filename": os.path.basename(path),  # noqa: PTH119
            }
        )

    def progress(self, total: int | None, done: int, speed: float | None) -> None:
        if done > self.max_bytes:
            from gallery_dl import exception

            raise exception.StopExtraction(_TOO_LARGE)
        self.proto.send(
            {
                "type": protocol.PROGRESS,
                "status": "downloading",
                "downloaded_bytes": done,
                "total_bytes": total,
                "speed": speed,
                "filename": os.path.basename(self.current or "") or None,  # noqa: PTH119
            }
        )


def _gallerydl_has_extractor(url: str) -> bool:
    return _gallerydl_extractor(url) is not None


def _gallerydl_extractor(url: str) -> str | None:
    """gallery-dl's extractor for ``url`` as ``category:subcategory`` (None: it has none)."""
    import gallery_dl.extractor

    try:
        found = gallery_dl.extractor.find(url)
    except Exception:  # an extractor's constructor choking on a URL: it cannot read it
        return None
    return f"{found.category}:{found.subcategory}" if found is not None else None


def _ytdlp_extractor(url: str) -> str | None:
    """The first of yt-dlp's extractors that takes ``url`` (``generic`` comes last)."""
    from yt_dlp.extractor import gen_extractor_classes

    for ie in gen_extractor_classes():
        try:
            if ie.suitable(url):
                return str(ie.IE_NAME)
        except Exception:  # noqa: S112 (a broken pattern is that extractor's problem only)
            continue
    return None


def probe(req: dict[str, Any], proto: _Proto) -> None:
    """Which extractor each tool has for a URL: patterns only, no request (a few ms, warm)."""
    url = str(req.get("url") or "")
    extractors = {"gallery-dl": _gallerydl_extractor(url), "yt-dlp": _ytdlp_extractor(url)}
    proto.send({"type": protocol.DONE, "extractors": extractors})


def _run_gallerydl(req: protocol.DownloadRequest, proto: _Proto, tail: _LogTail) -> dict[str, Any]:
    from gallery_dl import config, exception, job, util

    # One job at a time per process, so the global config tree is this job's own.
    config.clear()
    if req["gallerydl_config_file"]:
        config.load([req["gallerydl_config_file"]], strict=True)
    for path, key, value in req["gallerydl_config"]:
        config.set(tuple(path), key, value)

    records: list[tuple[str, dict[str, Any]]] = []
    out = _RecordingOutput(proto, req["max_bytes"])

    class _Job(job.DownloadJob):
        def handle_url(self, url: str, kwdict: dict[str, Any]) -> None:
            before = len(out.finished)
            super().handle_url(url, kwdict)
            if len(out.finished) > before:
                safe = json.loads(json.dumps(kwdict, default=util.json_default))
                records.append((out.finished[-1], safe))

    try:
        dl = _Job(req["url"])
    except exception.NoExtractorError as exc:
        msg = f"NoExtractorError: No suitable extractor for URL ({exc})"
        raise _ToolFailure("gallery-dl", msg) from None
    dl.out = out
    status = dl.run()
    if not records:
        detail = "\n".join(tail.lines) or f"no files downloaded (status {status})"
        raise _ToolFailure("gallery-dl", detail)
    return {"tool": "gallery-dl", "info": None, "records": records}


class _ToolFailure(Exception):
    def __init__(self, tool: str, message: str) -> None:
        super().__init__(message)
        self.tool = tool


def handle(req: protocol.DownloadRequest, proto: _Proto) -> None:
    """Run one request and send exactly one ``done`` or ``error`` line."""
    tail = _LogTail()
    root = logging.getLogger()
    root.addHandler(tail)
    tool = req["tool"]
    try:
        if tool == "auto":
            tool = "gallery-dl" if _gallerydl_has_extractor(req["url"]) else "yt-dlp"
        runner = _run_gallerydl if tool == "gallery-dl" else _run_ytdlp
        result = runner(req, proto, tail)
        proto.send({"type": protocol.DONE, **result, "log": tail.lines[-20:]})
    except _ToolFailure as exc:
        proto.send(_error(exc.tool, str(exc), tail))
    except Exception as exc:  # a tool's own exception: report its text, the parent classifies
        proto.send(_error(tool, f"{type(exc).__name__}: {exc}", tail))
    finally:
        root.removeHandler(tail)


def _error(tool: str, message: str, tail: _LogTail) -> dict[str, Any]:
    text = "\n".join([*tail.lines[-20:], message])
    code = "too_large" if _TOO_LARGE in text or "larger than max-filesize" in text else None
    return {"type": protocol.ERROR, "tool": tool, "code": code, "message": text, "log": []}


def expand(req: dict[str, Any], proto: _Proto) -> None:
    """List a playlist's entries without downloading them (``extract_flat``)."""
    import yt_dlp

    tail = _LogTail()
    params = dict(req["ytdlp_params"])
    params.update({"extract_flat": "in_playlist", "logger": _YtdlpLogger(tail)})
    try:
        with yt_dlp.YoutubeDL(params) as ydl:
            info = ydl.sanitize_info(ydl.extract_info(req["url"], download=False)) or {}
        entries = [
            {
                "url": e.get("url") or e.get("webpage_url"),
                "title": e.get("title"),
                "id": e.get("id"),
            }
            for e in info.get("entries") or []
            if e and (e.get("url") or e.get("webpage_url"))
        ]
        proto.send({"type": protocol.DONE, "tool": "yt-dlp", "title": info.get("title"),
                    "entries": entries[: req.get("max_items") or None]})  # fmt: skip
    except Exception as exc:  # the tool's text goes back for the parent to classify
        proto.send(_error("yt-dlp", f"{type(exc).__name__}: {exc}", tail))


def main() -> None:
    _die_with_parent()
    # The protocol gets our original stdout; fd 1 becomes stderr so stray prints are harmless.
    proto_stream = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    proto = _Proto(proto_stream)
    warm = warm_up()
    proto.send({"type": protocol.READY, "pid": os.getpid(), "warm_seconds": round(warm, 3)})
    for line in sys.stdin:  # EOF (the parent closed us or died) ends the loop
        if not line.strip():
            continue
        req = json.loads(line)
        if req.get("op") == "download":
            handle(req, proto)
        elif req.get("op") == "expand":
            expand(req, proto)
        elif req.get("op") == "probe":
            probe(req, proto)


if __name__ == "__main__":
    main()
