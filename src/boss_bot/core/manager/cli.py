"""Running a tool's command line, shared by the yt-dlp and gallery-dl CLI paths.

The CLI path runs when the API-direct path is off or failed for a reason a fresh process could
fix. Its failures arrive as an exit status and stderr; this is where they become the error tree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from boss_bot.core.errors import DownloadError, ExternalToolError
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
        if tool == gallerydl.TOOL and exc.returncode == gallerydl.NO_EXTRACTOR_STATUS:
            raise
        classified = errors_map.from_output(tool, exc.stderr, None)
        if type(classified) is DownloadError:  # nothing specific: keep the tool's details
            raise
        raise classified from exc
