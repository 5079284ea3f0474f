"""Running a tool's command line, shared by the yt-dlp and gallery-dl CLI paths.

The CLI path runs when the API-direct path is off or failed for a reason a fresh process could
fix. Its failures arrive as an exit status and stderr; this is where they become the error tree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from boss_bot.core.errors import (
    BossBotError,
    DownloadError,
    ExternalToolError,
    UnsupportedURLError,
)
from boss_bot.core.process import ToolResult, run_tool
from boss_bot.core.tools import errors_map, gallerydl

if TYPE_CHECKING:
    from pathlib import Path


async def run_cli(
    tool: str, args: list[str], work: Path, on_line: Callable[[str], None]
) -> ToolResult:
    """Run a tool's CLI in ``work``; map its failure text to the error tree."""
    try:
        return await run_tool(args, tool=tool, timeout=None, cwd=work, on_stdout_line=on_line)
    except ExternalToolError as exc:
        classified = classify_exit(exc)
        if classified is exc:
            raise
        raise classified from exc


def classify_exit(exc: ExternalToolError) -> BossBotError:
    """A failed run's error: what its stderr says, else ``exc`` itself (a crash, for the tool
    chain: an exit nobody could classify). gallery-dl's "no extractor" exit status is
    :class:`UnsupportedURLError` whatever it printed."""
    if exc.tool == gallerydl.TOOL and exc.returncode == gallerydl.NO_EXTRACTOR_STATUS:
        return UnsupportedURLError(
            f"gallery-dl: no extractor ({_last_line(exc.stderr)})",
            user_message="I don't know how to download from that link.",
        )
    classified = errors_map.from_output(exc.tool, exc.stderr, None)
    if type(classified) is DownloadError:  # nothing specific: keep the tool's details
        return exc
    return classified


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no output"
