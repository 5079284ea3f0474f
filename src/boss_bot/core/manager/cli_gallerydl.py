"""gallery-dl as a subprocess: a download over its command line.

gallery-dl prints one finished path per line (``# path`` for one it skipped) and writes each
file's metadata to a JSON sidecar next to it; both are read back here. Its "no extractor"
exit status becomes UnsupportedURLError (:func:`.cli.classify_exit`): the tool chain's cue for
the next tool.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from boss_bot.core.errors import ExternalToolError
from boss_bot.core.manager.cli import run_cli
from boss_bot.core.manager.options import gallerydl_entries
from boss_bot.core.manager.results import finalise
from boss_bot.core.models import STATUS_FINISHED, ProgressEvent
from boss_bot.core.tools import gallerydl

if TYPE_CHECKING:
    from boss_bot.core.manager.context import AttemptContext
    from boss_bot.core.models import DownloadMethod, MediaMetadata
    from boss_bot.core.settings import BossSettings

# The package's logger (not this module's): log lines read as they always have.
log = logging.getLogger(__package__)


async def download(
    settings: BossSettings, ctx: AttemptContext, method: DownloadMethod
) -> MediaMetadata:
    """Download ``ctx.url`` with the gallery-dl CLI; files it saved before failing are kept."""
    finished: list[Path] = []

    def on_line(line: str) -> None:
        # gallery-dl's pipe output: one finished path per line ("# path" = skipped).
        if line and not line.startswith("# "):
            path = Path(line)
            finished.append(path)
            size = path.stat().st_size if path.exists() else None
            ctx.progress(
                ProgressEvent(
                    status=STATUS_FINISHED,
                    downloaded_bytes=size,
                    total_bytes=size,
                    filename=path.name,
                )
            )

    args = gallerydl.cli_args(settings, gallerydl_entries(settings, ctx), ctx.url)
    try:
        await run_cli(gallerydl.TOOL, args, ctx.work, on_line)
    except ExternalToolError as exc:
        if not finished:
            raise
        log.warning("gallery-dl exited %s but saved %d files", exc.returncode, len(finished))
    meta = {p.name: gallerydl.read_sidecar(p, remove=True) for p in finished}
    files = await finalise(settings, ctx.work, finished)
    return gallerydl.metadata_from_records(
        [(f, meta.get(f.filename, {})) for f in files],
        platform=ctx.strategy.name,
        url=ctx.url,
        method=method,
    )
