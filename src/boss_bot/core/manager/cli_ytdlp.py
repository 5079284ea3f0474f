"""yt-dlp as a subprocess: a download, or a playlist's listing, over its command line.

yt-dlp's output is read line by line: ``--progress-template`` JSON lines become progress
events, info JSON lines say which files it saved, and everything else is kept as chatter,
because it explains a download yt-dlp skipped without failing.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from boss_bot.core.manager.cli import run_cli
from boss_bot.core.manager.context import progress_event
from boss_bot.core.manager.options import ytdlp_extra
from boss_bot.core.manager.results import finalise
from boss_bot.core.tools import errors_map, ytdlp

if TYPE_CHECKING:
    from boss_bot.core.manager.context import AttemptContext
    from boss_bot.core.models import DownloadMethod, MediaMetadata
    from boss_bot.core.settings import BossSettings


async def download(
    settings: BossSettings, ctx: AttemptContext, method: DownloadMethod
) -> MediaMetadata:
    """Download ``ctx.url`` with the yt-dlp CLI; a run that saved nothing is an error."""
    infos: list[dict[str, Any]] = []
    chatter: list[str] = []  # yt-dlp's own messages: they explain a skipped download

    def on_line(line: str) -> None:
        if line.startswith(ytdlp.PROGRESS_PREFIX):
            with contextlib.suppress(ValueError):
                ctx.progress(progress_event(json.loads(line[len(ytdlp.PROGRESS_PREFIX) :])))
        elif line.startswith(ytdlp.INFO_PREFIX):
            with contextlib.suppress(ValueError):
                infos.append(json.loads(line[len(ytdlp.INFO_PREFIX) :]))
        elif line.strip():
            chatter.append(line)
            del chatter[:-20]

    extra = ytdlp_extra(settings, ctx)
    args = ytdlp.cli_args(settings, ctx.options, ctx.work, ctx.url, extra)
    result = await run_cli(ytdlp.TOOL, args, ctx.work, on_line)
    reported = [p for info in infos for p in ytdlp.requested_files(info)]
    if not any(p.exists() for p in reported):
        raise errors_map.from_output(ytdlp.TOOL, "\n".join([*chatter, result.stderr]), None)
    files = await finalise(settings, ctx.work, reported)
    info: dict[str, Any] = infos[0] if len(infos) == 1 else {"entries": infos}
    if len(infos) > 1:
        info |= {"title": infos[0].get("playlist_title"), "id": infos[0].get("playlist_id")}
    return ytdlp.metadata_from_info(
        ytdlp.slim_info(info), files, platform=ctx.strategy.name, url=ctx.url, method=method
    )


async def list_playlist(
    settings: BossSettings, ctx: AttemptContext, max_items: int
) -> list[dict[str, Any]]:
    """The first ``max_items`` entries (``url``, ``title``, ``id``) of ``--flat-playlist -J``."""
    listing = [*ytdlp.cli_args(settings, ctx.options, ctx.work, ctx.url)[:3],
               "--ignore-config", "--flat-playlist", "-J", "--playlist-end", str(max_items),
               *(["--proxy", ctx.proxy] if ctx.proxy else []), "--", ctx.url]  # fmt: skip
    result = await run_cli(ytdlp.TOOL, listing, ctx.work, lambda _line: None)
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
