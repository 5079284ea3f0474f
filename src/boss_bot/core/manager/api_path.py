"""The API-direct path: the tools run as Python libraries inside a warm worker process.

A worker has yt-dlp and gallery-dl imported and their extractors loaded before any request, so
a download costs milliseconds instead of a process start (docs/architecture.md, "Measured").
This module builds the worker's request, relays its progress and reads its reply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boss_bot.core.coerce import opt_str
from boss_bot.core.manager.context import progress_event, resolve_tool
from boss_bot.core.manager.options import gallerydl_entries, ytdlp_extra
from boss_bot.core.manager.results import finalise
from boss_bot.core.tools import errors_map, gallerydl, ytdlp

if TYPE_CHECKING:
    from boss_bot.core.manager.context import AttemptContext
    from boss_bot.core.models import MediaMetadata
    from boss_bot.core.settings import BossSettings
    from boss_bot.core.workers.pool import WorkerPool


@dataclass(frozen=True)
class ApiPath:
    """The worker pool as a download path; ``start`` warms the pool on first use."""

    settings: BossSettings
    pool: WorkerPool
    start: Callable[[], Awaitable[None]]

    async def download(self, ctx: AttemptContext) -> MediaMetadata:
        """Download ``ctx.url`` in a worker; files are checked like any other path's."""
        settings = self.settings
        tool = ctx.tool or resolve_tool(ctx.strategy, ctx.url)
        request = {
            "op": "download",
            "tool": tool,
            "url": ctx.url,
            "dest": str(ctx.work),
            "max_bytes": settings.max_file_size_bytes,
            "ytdlp_params": ytdlp.api_params(
                settings, ctx.options, ctx.work, ytdlp_extra(settings, ctx)
            ),
            "gallerydl_config": [[list(p), k, v] for p, k, v in gallerydl_entries(settings, ctx)],
            "gallerydl_config_file": opt_str(settings.gallery_dl_config_file),
        }

        def relay(msg: dict[str, Any]) -> None:
            ctx.progress(progress_event(msg))

        await self.start()
        reply = await self.pool.run(request, on_event=relay)  # type: ignore[arg-type]
        used = str(reply.get("tool") or tool)
        if reply.get("type") != "done":
            raise errors_map.from_output(used, str(reply.get("message") or ""), reply.get("code"))
        if used == ytdlp.TOOL:
            info = reply.get("info") or {}
            files = await finalise(settings, ctx.work, ytdlp.requested_files(info))
            return ytdlp.metadata_from_info(
                info, files, platform=ctx.strategy.name, url=ctx.url, method="api"
            )
        records = [(Path(p), kw) for p, kw in reply.get("records") or []]
        files = await finalise(settings, ctx.work, [p for p, _ in records])
        by_name = {p.name: kw for p, kw in records}
        return gallerydl.metadata_from_records(
            [(f, by_name.get(f.filename, {})) for f in files],
            platform=ctx.strategy.name,
            url=ctx.url,
            method="api",
        )

    async def list_playlist(
        self, url: str, max_items: int, ytdlp_params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """A playlist's entries (``url``, ``title``, ``id``) as a worker's yt-dlp lists them."""
        await self.start()
        reply = await self.pool.run(
            {"op": "expand", "url": url, "max_items": max_items,
             "ytdlp_params": ytdlp_params}  # type: ignore[typeddict-item]
        )  # fmt: skip
        if reply.get("type") != "done":
            raise errors_map.from_output(ytdlp.TOOL, str(reply.get("message") or ""), None)
        return reply.get("entries") or []
