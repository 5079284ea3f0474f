"""``DownloadManager``: the one object callers hold; it owns the shared resources.

It owns what outlives a download (the warm worker pool, the egress guard, the concurrency
slots) and what frames one (URL intake, the request directory, the disk-budget wait, moving
files to ``dest``, cleaning up on any failure). Running the download itself is delegated:
:mod:`.attempt` retries and picks the path, and each path lives in its own module.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from boss_bot.core import paths
from boss_bot.core.dedup import url_is_placeholder
from boss_bot.core.egress import EgressGuard
from boss_bot.core.errors import DiskBudgetError, DownloadTimeoutError, PlaceholderMediaError
from boss_bot.core.manager import cli_ytdlp
from boss_bot.core.manager.api_path import ApiPath
from boss_bot.core.manager.attempt import with_retries
from boss_bot.core.manager.context import AttemptContext, ProgressCallback
from boss_bot.core.manager.options import ytdlp_extra
from boss_bot.core.manager.probe import ToolProbe
from boss_bot.core.manager.results import move_files
from boss_bot.core.models import STATUS_FINISHED, DownloadOptions, MediaMetadata, ProgressEvent
from boss_bot.core.settings import BossSettings
from boss_bot.core.strategies import Strategy, strategy_for
from boss_bot.core.tools import ytdlp
from boss_bot.core.tools.fallback import ToolAttempt
from boss_bot.core.urls import check_url, host_of
from boss_bot.core.workers.pool import WorkerPool

#: How long a new download waits for DISK_BUDGET_MB to free up before it is refused.
DISK_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class PlaylistEntry:
    """One item of a playlist, to be downloaded (and posted) on its own."""

    url: str
    title: str | None = None
    id: str | None = None


class DownloadManager:
    """Downloads URLs with the right strategy and tool; see the package docstring for the flow."""

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
        #: Which extractor each tool has for a URL (the tool chain asks; a warm worker answers).
        self.probe = ToolProbe(self.pool, self.start)

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

    @property
    def _api(self) -> ApiPath:
        """The API-direct path over this manager's pool (started on first use)."""
        return ApiPath(self.settings, self.pool, self.start)

    # -- public API ------------------------------------------------------------------------
    async def download(
        self,
        url: str,
        *,
        dest: Path | None = None,
        options: DownloadOptions | None = None,
        on_progress: ProgressCallback | None = None,
        attempts: list[ToolAttempt] | None = None,
    ) -> MediaMetadata:
        """Download ``url``; return its metadata with the files in place.

        With ``dest``, finished files are moved into ``dest`` (a private staging directory
        inside it is used while downloading). Without, they stay in a fresh request directory
        below ``DOWNLOAD_DIR/.requests`` that the caller owns (and deletes after uploading).
        On any failure nothing is left behind. ``attempts`` gets one entry per tool tried, in
        order, whatever the outcome (the job's metrics: which tool failed, which served).
        """
        record = attempts.append if attempts is not None else _forget
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
                ctx = AttemptContext(strategy, target, work, options, on_progress)
                meta = await with_retries(
                    self.settings, self.guard, self._api, ctx, self.probe, record
                )
            if dest is not None:
                meta = move_files(meta, work, dest)
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

    async def expand_playlist(self, url: str, *, max_items: int) -> list[PlaylistEntry]:
        """The first ``max_items`` entries of a playlist, without downloading them.

        Lets callers download and post each video as it finishes instead of waiting for the
        whole playlist. A URL that is not a playlist comes back as its single entry.
        """
        strategy, target = await self._intake(url)
        work = paths.new_request_dir(self.settings.requests_dir, "expand")
        tag = self.guard.new_job_tag() if self.guard is not None else None
        options = DownloadOptions(playlist=True, max_items=max_items)
        proxy = self.guard.proxy_for(tag) if self.guard and tag else None
        ctx = AttemptContext(strategy, target, work, options, None, proxy)
        params = ytdlp.api_params(self.settings, ctx.options, work, ytdlp_extra(self.settings, ctx))
        params.pop("match_filter", None)  # durations are checked per entry when downloaded
        try:
            async with asyncio.timeout(self.settings.download_timeout_seconds):
                if self.settings.use_api_client(strategy.name):
                    raw = await self._api.list_playlist(target, max_items, params)
                else:
                    raw = await cli_ytdlp.list_playlist(self.settings, ctx, max_items)
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

    # -- around each download --------------------------------------------------------------
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


def _forget(_attempt: ToolAttempt) -> None:
    """Where a tool's try goes when the caller keeps no record."""
