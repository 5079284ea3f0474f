"""The download manager: one URL in, downloaded files and their metadata out.

Path of one request::

    check_url ─► strategy_for ─► request dir ─► for each tool of <PLATFORM>_TOOLS:
                                                  [API-direct in a warm worker]
                                                   │ fails (not a definitive "no")
                                                   ▼
                                                  [CLI subprocess] (cli_fallback)
                                                   │ fails in a way another tool could fix
                                                   ▼ (tools.fallback.decide): next tool
                  files checked, renamed safe, faststart ◄┘ ─► MediaMetadata (tool, fallback_tool)

Retries with exponential backoff happen around the whole attempt, for retryable errors only.
Concurrency is capped by ``MAX_CONCURRENT_DOWNLOADS``; every attempt has a timeout, and a cancel
kills the tool's process group and leaves no partial file.

Where each step lives:

* :mod:`.manager`: ``DownloadManager``: lifecycle, URL intake, request dir, playlists, disk wait.
* :mod:`.attempt`: retries, the per-attempt egress tag, API first then CLI, the CLI's tool.
* :mod:`.chain`: the platform's tools in order, the next one only when another could help.
* :mod:`.probe`: which extractor each tool has for a URL (a warm worker answers; cached).
* :mod:`.watchdog`: the attempt timeout, the streaming size limit, the disk budget.
* :mod:`.api_path`: the download in a warm worker process.
* :mod:`.cli_ytdlp`, :mod:`.cli_gallerydl` (over :mod:`.cli`): the tools as subprocesses.
* :mod:`.results`: finished files checked, renamed safe, made faststart, moved to ``dest``.
* :mod:`.context`, :mod:`.options`: what every path is handed, and the options it passes on.

Tool output becomes an error in :mod:`boss_bot.core.tools.errors_map`.
"""

from boss_bot.core.manager.attempt import BLOCKED_REDIRECT_MESSAGE, DEFINITIVE
from boss_bot.core.manager.context import ProgressCallback, resolve_tool
from boss_bot.core.manager.manager import DISK_WAIT_SECONDS, DownloadManager, PlaylistEntry
from boss_bot.core.tools.errors_map import NO_MEDIA_MESSAGE

__all__ = [
    "BLOCKED_REDIRECT_MESSAGE",
    "DEFINITIVE",
    "DISK_WAIT_SECONDS",
    "NO_MEDIA_MESSAGE",
    "DownloadManager",
    "PlaylistEntry",
    "ProgressCallback",
    "resolve_tool",
]
