"""The download manager: one URL in, downloaded files and their metadata out.

Path of one request::

    check_url ─► strategy_for ─► request dir ─► [API-direct in a warm worker]
                                                   │ fails (not a definitive "no")
                                                   ▼
                                                [CLI subprocess] (cli_fallback)
                                                   │
                  files checked, renamed safe, faststart ◄┘ ─► MediaMetadata

Retries with exponential backoff happen around the whole attempt, for retryable errors only.
Concurrency is capped by ``MAX_CONCURRENT_DOWNLOADS``; every attempt has a timeout, and a cancel
kills the tool's process group and leaves no partial file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from boss_bot.core import paths
from boss_bot.core.coerce import opt_float, opt_int, opt_str
from boss_bot.core.dedup import url_is_placeholder
from boss_bot.core.egress import EgressGuard
from boss_bot.core.errors import (
    AccessDeniedError,
    BlockedURLError,
    BossBotError,
    CorruptMediaError,
    DiskBudgetError,
    DownloadError,
    DownloadTimeoutError,
    ExternalToolError,
    FileTooLargeError,
    GeoBlockedError,
    MediaNotFoundError,
    MediaTooLongError,
    NoMediaFoundError,
    PlaceholderMediaError,
    UnsupportedURLError,
)
from boss_bot.core.models import (
    STATUS_DOWNLOADING,
    STATUS_FINISHED,
    DownloadMethod,
    DownloadOptions,
    MediaFile,
    MediaMetadata,
    ProgressEvent,
)
from boss_bot.core.mp4 import ensure_faststart
from boss_bot.core.process import ToolResult, run_tool
from boss_bot.core.settings import BossSettings
from boss_bot.core.strategies import Strategy, strategy_for
from boss_bot.core.tools import errors_map, gallerydl, ytdlp
from boss_bot.core.urls import check_url, host_of
from boss_bot.core.validate import Rejection, inspect
from boss_bot.core.workers.pool import WorkerPool

log = logging.getLogger(__name__)

ProgressCallback = Callable[[ProgressEvent], None]

#: Errors that mean "this media cannot be had", whichever path asks: no CLI fallback for these.
DEFINITIVE = (
    MediaNotFoundError,
    AccessDeniedError,
    GeoBlockedError,
    FileTooLargeError,
    NoMediaFoundError,
    UnsupportedURLError,
    MediaTooLongError,
    BlockedURLError,
    CorruptMediaError,
)
#: Direct links to these go to yt-dlp even when gallery-dl's ``directlink`` would take them:
#: yt-dlp reports duration and formats and streams progress for media.
_AV_SUFFIXES = {".mp4", ".m4v", ".mov", ".webm", ".mkv", ".mp3", ".m4a", ".ogg", ".opus", ".wav"}
NO_MEDIA_MESSAGE = "I found no downloadable media on that link."
BLOCKED_REDIRECT_MESSAGE = (
    "That link leads (through a redirect) to a private or local network address, which I won't "
    "fetch."
)
#: How long a new download waits for DISK_BUDGET_MB to free up before it is refused.
DISK_WAIT_SECONDS = 30.0
#: How often the size watchdog looks at the request directory.
_WATCH_INTERVAL = 0.1


def resolve_tool(strategy: Strategy, url: str) -> str:
    """The tool for ``url``: the strategy's, with direct audio/video links sent to yt-dlp."""
    tool = strategy.tool_for(url)
    if tool == "auto" and Path(urlsplit(url).path).suffix.lower() in _AV_SUFFIXES:
        return ytdlp.TOOL
    return tool


@dataclass(frozen=True)
class PlaylistEntry:
    """One item of a playlist, to be downloaded (and posted) on its own."""

    url: str
    title: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class _Request:
    """One download attempt's context, passed down the paths instead of six arguments."""

    strategy: Strategy
    url: str
    work: Path
    options: DownloadOptions
    on_progress: ProgressCallback | None
    proxy: str | None = None  # the egress guard, tagged for this attempt

    def progress(self, event: ProgressEvent) -> None:
        if self.on_progress is not None:
            self.on_progress(event)


class DownloadManager:
    """Downloads URLs with the right strategy and tool; see the module docstring for the flow."""

    def __init__(self, settings: BossSettings, *, pool: WorkerPool | None = None) -> None:
        self.settings = settings
        self.pool = pool or WorkerPool(settings.max_concurrent_downloads)
        self._slots = asyncio.Semaphore(settings.max_concurrent_downloads)
        self._started = False
        # Tools reach the network through the egress guard unless private addresses are allowed.
        self.guard = (
            None
            if settings.allow_private_network_urls
            else EgressGuard(allow=settings.allowlisted_endpoints())
        )
        self._guard_started = False
        self.disk_wait_seconds = DISK_WAIT_SECONDS

    async def start(self) -> None:
        """Spawn and warm the worker processes (call once at start-up)."""
        await self._start_guard()
        if not self._started:
            self._started = True
            await self.pool.start()

    async def _start_guard(self) -> None:
        if self.guard is not None and not self._guard_started:
            self._guard_started = True
            await self.guard.start()

    async def close(self) -> None:
        await self.pool.close()
        if self.guard is not None:
            await self.guard.close()

    async def __aenter__(self) -> DownloadManager:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- public API ------------------------------------------------------------------------
    async def download(
        self,
        url: str,
        *,
        dest: Path | None = None,
        options: DownloadOptions | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> MediaMetadata:
        """Download ``url``; return its metadata with the files in place.

        With ``dest``, finished files are moved into ``dest`` (a private staging directory
        inside it is used while downloading). Without, they stay in a fresh request directory
        below ``DOWNLOAD_DIR/.requests`` that the caller owns (and deletes after uploading).
        On any failure nothing is left behind.
        """
        options = options or DownloadOptions()
        strategy, target = await self._intake(url)
        await self._wait_for_disk()
        if dest is not None:
            dest.mkdir(parents=True, exist_ok=True)
            work = paths.new_request_dir(dest, ".boss-staging")
        else:
            work = paths.new_request_dir(self.settings.requests_dir, strategy.name)
        try:
            async with self._slots:
                req = _Request(strategy, target, work, options, on_progress)
                meta = await self._with_retries(req)
            if dest is not None:
                meta = _move_files(meta, work, dest)
                paths.remove_tree(work)
        except BaseException:
            paths.remove_tree(work)
            raise
        if on_progress:
            on_progress(
                ProgressEvent(
                    status=STATUS_FINISHED,
                    downloaded_bytes=meta.size_bytes,
                    total_bytes=meta.size_bytes,
                )
            )
        return meta

    async def _intake(self, url: str) -> tuple[Strategy, str]:
        """Check the URL (SSRF, scheme, placeholders), pick its strategy, canonicalise it."""
        checked = await check_url(url, allow_private=self._private_allowed(url))
        strategy = strategy_for(checked)
        target = strategy.canonical_url(checked)
        if url_is_placeholder(target, self.settings.placeholder_url_patterns):
            raise PlaceholderMediaError(
                f"placeholder URL {target}", user_message="That link is a placeholder image."
            )
        await self._start_guard()
        return strategy, target

    async def expand_playlist(self, url: str, *, max_items: int) -> list[PlaylistEntry]:
        """The first ``max_items`` entries of a playlist, without downloading them.

        Lets callers download and post each video as it finishes instead of waiting for the
        whole playlist. A URL that is not a playlist comes back as its single entry.
        """
        strategy, target = await self._intake(url)
        work = paths.new_request_dir(self.settings.requests_dir, "expand")
        tag = self.guard.new_job_tag() if self.guard is not None else None
        req = _Request(strategy, target, work, DownloadOptions(playlist=True, max_items=max_items),
                       None, self.guard.proxy_for(tag) if self.guard and tag else None)  # fmt: skip
        params = ytdlp.api_params(self.settings, req.options, work, self._ytdlp_extra(req))
        params.pop("match_filter", None)  # durations are checked per entry when downloaded
        try:
            async with asyncio.timeout(self.settings.download_timeout_seconds):
                if self.settings.use_api_client(strategy.name):
                    await self.start()
                    reply = await self.pool.run(
                        {"op": "expand", "url": target, "max_items": max_items,
                         "ytdlp_params": params}  # type: ignore[typeddict-item]
                    )  # fmt: skip
                    if reply.get("type") != "done":
                        raise _error_from_text(ytdlp.TOOL, str(reply.get("message") or ""), None)
                    raw = reply.get("entries") or []
                else:
                    raw = await self._expand_cli(req, max_items)
        except TimeoutError:
            raise DownloadTimeoutError(
                "playlist listing timed out", user_message="Listing the playlist took too long."
            ) from None
        finally:
            paths.remove_tree(work)
            if self.guard is not None and tag is not None:
                self.guard.forget(tag)
        entries = [PlaylistEntry(str(e["url"]), e.get("title"), e.get("id")) for e in raw]
        return entries[:max_items] or [PlaylistEntry(target)]

    async def _expand_cli(self, req: _Request, max_items: int) -> list[dict[str, Any]]:
        listing = [*ytdlp.cli_args(self.settings, req.options, req.work, req.url)[:3],
                   "--ignore-config", "--flat-playlist", "-J", "--playlist-end", str(max_items),
                   *(["--proxy", req.proxy] if req.proxy else []), "--", req.url]  # fmt: skip
        result = await self._run_cli(ytdlp.TOOL, listing, req.work, lambda _line: None)
        info = json.loads(result.stdout or "{}")
        return [
            {
                "url": e.get("url") or e.get("webpage_url"),
                "title": e.get("title"),
                "id": e.get("id"),
            }
            for e in info.get("entries") or []
            if e and (e.get("url") or e.get("webpage_url"))
        ]

    # -- attempts --------------------------------------------------------------------------
    async def _with_retries(self, req: _Request) -> MediaMetadata:
        attempts = self.settings.download_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                return await self._attempt(req)
            except DownloadError as exc:
                paths.clear_directory(req.work)
                if not exc.retryable or attempt == attempts:
                    raise
                delay = self.settings.download_retry_base_delay_seconds * 2 ** (attempt - 1)
                log.warning("attempt %d/%d for %s failed (%s); retry in %.1fs",
                            attempt, attempts, req.url, exc, delay)  # fmt: skip
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _attempt(self, req: _Request) -> MediaMetadata:
        """One attempt: API-direct (with CLI fallback) or the CLI, behind the egress guard."""
        tag = self.guard.new_job_tag() if self.guard is not None else None
        if self.guard is not None and tag is not None:
            req = _Request(**{**req.__dict__, "proxy": self.guard.proxy_for(tag)})
        try:
            return await self._attempt_paths(req)
        except DownloadError:
            if self.guard is not None and tag is not None and (hit := self.guard.blocked(tag)):
                raise BlockedURLError(
                    f"egress guard refused {hit[0]}", user_message=BLOCKED_REDIRECT_MESSAGE
                ) from None
            raise
        finally:
            if self.guard is not None and tag is not None:
                self.guard.forget(tag)

    async def _attempt_paths(self, req: _Request) -> MediaMetadata:
        options = req.options
        use_api = (
            options.force_method == "api"
            if options.force_method
            else self.settings.use_api_client(req.strategy.name)
        )
        if use_api:
            try:
                return await self._guarded(self._via_api(req), req.work, "api")
            except DownloadError as exc:
                if (
                    isinstance(exc, DEFINITIVE)
                    or not self.settings.download_api_fallback_to_cli
                    or options.force_method == "api"
                ):
                    raise
                log.warning("API-direct download of %s failed (%s); falling back to the CLI",
                            req.url, exc)  # fmt: skip
                paths.clear_directory(req.work)
                method: DownloadMethod = "cli_fallback"
        else:
            method = "cli"
        return await self._guarded(self._via_cli(req, method), req.work, method)

    def _too_large_message(self) -> str:
        return (
            f"The file is larger than {self.settings.max_file_size_mb} MiB, the most this bot "
            "downloads."
        )

    def _private_allowed(self, url: str) -> bool:
        """ALLOW_PRIVATE_NETWORK_URLS, or the URL's host:port is on the allowlist."""
        if self.settings.allow_private_network_urls:
            return True
        allowed = self.settings.allowlisted_endpoints()
        if not allowed:
            return False
        host = host_of(url)
        parts = urlsplit(url.strip().strip("<>"))
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return False
        return host is not None and (host, port) in allowed

    async def _wait_for_disk(self) -> None:
        """Hold a new download until the request dirs are under DISK_BUDGET_MB, then refuse."""
        budget = self.settings.disk_budget_bytes
        if budget is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.disk_wait_seconds
        while await asyncio.to_thread(paths.directory_bytes, self.settings.requests_dir) >= budget:
            if loop.time() >= deadline:
                raise DiskBudgetError(
                    "disk budget used up",
                    user_message="The bot's download space is full right now; try again in a "
                    "few minutes.",
                )
            await asyncio.sleep(1.0)

    async def _guarded(self, coro: Any, work: Path, method: str) -> MediaMetadata:
        """Run one path with the attempt timeout and the streaming size limit.

        The watchdog measures files while they grow (``.part`` included), so an endless or
        oversized response is stopped long before it fills the disk, whatever the tool does.
        """
        task: asyncio.Task[MediaMetadata] = asyncio.ensure_future(coro)
        limit = self.settings.max_file_size_bytes
        budget = self.settings.disk_budget_bytes
        over: list[int] = []
        full: list[int] = []

        async def watch() -> None:
            while not task.done():
                await asyncio.sleep(_WATCH_INTERVAL)
                largest = _largest_file(work)
                if largest > limit:
                    over.append(largest)
                    task.cancel()
                    return
                if budget is not None:
                    used = paths.directory_bytes(self.settings.requests_dir)
                    if used > budget:
                        full.append(used)
                        task.cancel()
                        return

        watcher = asyncio.create_task(watch())
        try:
            async with asyncio.timeout(self.settings.download_timeout_seconds):
                return await task
        except TimeoutError:
            raise DownloadTimeoutError(
                f"{method} download timed out after {self.settings.download_timeout_seconds:g}s",
                user_message="The download took too long and was stopped.",
            ) from None
        except asyncio.CancelledError:
            if full and not _current_task_cancelling():
                raise DiskBudgetError(
                    f"request dirs hold {full[0]} bytes, over DISK_BUDGET_MB",
                    user_message="The bot ran out of download space during this download; "
                    "try again in a few minutes.",
                ) from None
            if over and not _current_task_cancelling():
                raise FileTooLargeError(
                    f"a file grew past {limit} bytes ({over[0]})",
                    user_message=self._too_large_message(),
                ) from None
            raise
        finally:
            watcher.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    # -- API-direct (warm worker) ----------------------------------------------------------
    async def _via_api(self, req: _Request) -> MediaMetadata:
        tool = resolve_tool(req.strategy, req.url)
        request = {
            "op": "download",
            "tool": tool,
            "url": req.url,
            "dest": str(req.work),
            "max_bytes": self.settings.max_file_size_bytes,
            "ytdlp_params": ytdlp.api_params(
                self.settings, req.options, req.work, self._ytdlp_extra(req)
            ),
            "gallerydl_config": [[list(p), k, v] for p, k, v in self._gallerydl_entries(req)],
            "gallerydl_config_file": opt_str(self.settings.gallery_dl_config_file),
        }

        def relay(msg: dict[str, Any]) -> None:
            req.progress(_event(msg))

        await self.start()
        reply = await self.pool.run(request, on_event=relay)  # type: ignore[arg-type]
        used = str(reply.get("tool") or tool)
        if reply.get("type") != "done":
            raise _error_from_text(used, str(reply.get("message") or ""), reply.get("code"))
        if used == ytdlp.TOOL:
            info = reply.get("info") or {}
            files = await self._finalise(req.work, ytdlp.requested_files(info))
            return ytdlp.metadata_from_info(
                info, files, platform=req.strategy.name, url=req.url, method="api"
            )
        records = [(Path(p), kw) for p, kw in reply.get("records") or []]
        files = await self._finalise(req.work, [p for p, _ in records])
        by_name = {p.name: kw for p, kw in records}
        return gallerydl.metadata_from_records(
            [(f, by_name.get(f.filename, {})) for f in files],
            platform=req.strategy.name,
            url=req.url,
            method="api",
        )

    def _ytdlp_extra(self, req: _Request) -> dict[str, Any]:
        """The platform's yt-dlp options plus the egress proxy and the duration filter."""
        extra: dict[str, Any] = dict(req.strategy.ytdlp_options)
        if req.proxy:
            extra["proxy"] = req.proxy
        if self.settings.max_duration_seconds:
            # "<=?" passes media whose duration is unknown; the filter runs before downloading.
            extra["match_filter"] = f"duration <=? {self.settings.max_duration_seconds}"
        return extra

    def _gallerydl_entries(self, req: _Request) -> list[gallerydl.ConfigEntry]:
        entries = gallerydl.config_entries(
            self.settings,
            req.options,
            req.work,
            category=req.strategy.name if req.strategy.name != "generic" else None,
            category_options=req.strategy.gallery_dl_options,
        )
        if req.proxy:
            entries.append(((), "proxy", req.proxy))
        return entries

    # -- CLI subprocess --------------------------------------------------------------------
    async def _via_cli(self, req: _Request, method: DownloadMethod) -> MediaMetadata:
        tool = resolve_tool(req.strategy, req.url)
        if tool != ytdlp.TOOL:
            try:
                return await self._gallerydl_cli(req, method)
            except UnsupportedURLError:
                if tool != "auto":
                    raise
                paths.clear_directory(req.work)  # "auto": no gallery-dl extractor → yt-dlp
        return await self._ytdlp_cli(req, method)

    async def _ytdlp_cli(self, req: _Request, method: DownloadMethod) -> MediaMetadata:
        infos: list[dict[str, Any]] = []
        chatter: list[str] = []  # yt-dlp's own messages: they explain a skipped download

        def on_line(line: str) -> None:
            if line.startswith(ytdlp.PROGRESS_PREFIX):
                with contextlib.suppress(ValueError):
                    req.progress(_event(json.loads(line[len(ytdlp.PROGRESS_PREFIX) :])))
            elif line.startswith(ytdlp.INFO_PREFIX):
                with contextlib.suppress(ValueError):
                    infos.append(json.loads(line[len(ytdlp.INFO_PREFIX) :]))
            elif line.strip():
                chatter.append(line)
                del chatter[:-20]

        extra = self._ytdlp_extra(req)
        args = ytdlp.cli_args(self.settings, req.options, req.work, req.url, extra)
        result = await self._run_cli(ytdlp.TOOL, args, req.work, on_line)
        reported = [p for info in infos for p in ytdlp.requested_files(info)]
        if not any(p.exists() for p in reported):
            raise _error_from_text(ytdlp.TOOL, "\n".join([*chatter, result.stderr]), None)
        files = await self._finalise(req.work, reported)
        info: dict[str, Any] = infos[0] if len(infos) == 1 else {"entries": infos}
        if len(infos) > 1:
            info |= {"title": infos[0].get("playlist_title"), "id": infos[0].get("playlist_id")}
        return ytdlp.metadata_from_info(
            ytdlp.slim_info(info), files, platform=req.strategy.name, url=req.url, method=method
        )

    async def _gallerydl_cli(self, req: _Request, method: DownloadMethod) -> MediaMetadata:
        finished: list[Path] = []

        def on_line(line: str) -> None:
            # gallery-dl's pipe output: one finished path per line ("# path" = skipped).
            if line and not line.startswith("# "):
                path = Path(line)
                finished.append(path)
                size = path.stat().st_size if path.exists() else None
                req.progress(
                    ProgressEvent(
                        status=STATUS_FINISHED,
                        downloaded_bytes=size,
                        total_bytes=size,
                        filename=path.name,
                    )
                )

        args = gallerydl.cli_args(self.settings, self._gallerydl_entries(req), req.url)
        try:
            await self._run_cli(gallerydl.TOOL, args, req.work, on_line)
        except ExternalToolError as exc:
            if exc.returncode == gallerydl.NO_EXTRACTOR_STATUS:
                raise UnsupportedURLError(f"gallery-dl: no extractor for {req.url}") from None
            if not finished:
                raise
            log.warning("gallery-dl exited %s but saved %d files", exc.returncode, len(finished))
        meta = {p.name: gallerydl.read_sidecar(p, remove=True) for p in finished}
        files = await self._finalise(req.work, finished)
        return gallerydl.metadata_from_records(
            [(f, meta.get(f.filename, {})) for f in files],
            platform=req.strategy.name,
            url=req.url,
            method=method,
        )

    async def _run_cli(
        self, tool: str, args: list[str], work: Path, on_line: Callable[[str], None]
    ) -> ToolResult:
        """Run a tool's CLI; map its failure text to the error tree."""
        try:
            return await run_tool(args, tool=tool, timeout=None, cwd=work, on_stdout_line=on_line)
        except ExternalToolError as exc:
            if tool == gallerydl.TOOL and exc.returncode == gallerydl.NO_EXTRACTOR_STATUS:
                raise
            classified = _error_from_text(tool, exc.stderr, None)
            if type(classified) is DownloadError:  # nothing specific: keep the tool's details
                raise
            raise classified from exc

    # -- results ---------------------------------------------------------------------------
    async def _finalise(self, work: Path, reported: list[Path]) -> list[MediaFile]:
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
            if safe.stat().st_size > self.settings.max_file_size_bytes:
                raise FileTooLargeError(
                    f"{safe.name} is over the size limit", user_message=self._too_large_message()
                )
            rejection = await asyncio.to_thread(
                inspect,
                safe,
                min_media_bytes=self.settings.min_media_bytes,
                known_hashes=self.settings.placeholder_hashes,
            )
            if rejection is not None:
                raise _rejected(safe, rejection)
            await ensure_faststart(safe, ffmpeg=self.settings.ffmpeg_path)
            files.append(MediaFile.from_path(safe))
        if not files:
            raise NoMediaFoundError(
                "the tool finished without saving a file",
                user_message=NO_MEDIA_MESSAGE,
            )
        return files


def _event(msg: Mapping[str, Any]) -> ProgressEvent:
    """A ProgressEvent from a worker/CLI progress dict (unknown keys ignored)."""
    return ProgressEvent(
        status=str(msg.get("status") or STATUS_DOWNLOADING),
        downloaded_bytes=opt_int(msg.get("downloaded_bytes")),
        total_bytes=opt_int(msg.get("total_bytes") or msg.get("total_bytes_estimate")),
        speed=opt_float(msg.get("speed")),
        filename=Path(str(msg["filename"])).name if msg.get("filename") else None,
    )


def _error_from_text(tool: str, text: str, code: str | None) -> BossBotError:
    if code == "too_large":
        return FileTooLargeError(
            f"{tool}: over the size limit", user_message="The file is larger than this bot accepts."
        )
    error = errors_map.classify(tool, text)
    if tool == ytdlp.TOOL and isinstance(error, UnsupportedURLError):
        # yt-dlp's generic extractor is the last resort: "unsupported" means the page has no
        # media it can find, which is what the user needs to hear.
        return NoMediaFoundError(str(error), user_message=NO_MEDIA_MESSAGE)
    return error


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


def _move_files(meta: MediaMetadata, work: Path, dest: Path) -> MediaMetadata:
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


def _largest_file(work: Path) -> int:
    largest = 0
    for root, _dirs, names in os.walk(work):
        for name in names:
            with contextlib.suppress(OSError):
                largest = max(largest, os.lstat(os.path.join(root, name)).st_size)  # noqa: PTH118
    return largest


def _current_task_cancelling() -> bool:
    task = asyncio.current_task()
    return bool(task and task.cancelling())


__all__ = ["DownloadManager", "ProgressCallback", "resolve_tool"]
