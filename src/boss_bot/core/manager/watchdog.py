"""The limits one download path runs under: the attempt timeout, the file size, the disk budget.

The tools' own size options (``max_filesize``, ``filesize-max``) only catch sizes announced up
front. The watchdog measures files while they grow (``.part`` included), so an endless or
oversized response is stopped long before it fills the disk, whatever the tool does; it also
stops a download that pushes the request dirs past DISK_BUDGET_MB.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boss_bot.core import paths
from boss_bot.core.errors import DiskBudgetError, DownloadTimeoutError, FileTooLargeError
from boss_bot.core.manager.results import too_large_message

if TYPE_CHECKING:
    from boss_bot.core.models import MediaMetadata
    from boss_bot.core.settings import BossSettings

#: How often the size watchdog looks at the request directory.
_WATCH_INTERVAL = 0.1


async def guarded(
    settings: BossSettings,
    coro: Coroutine[Any, Any, MediaMetadata],
    work: Path,
    method: str,
) -> MediaMetadata:
    """Run one path (``coro``) with the attempt timeout and the streaming size limit.

    A limit hit by the watchdog becomes its own error; a cancel from outside stays a cancel.
    """
    task: asyncio.Task[MediaMetadata] = asyncio.ensure_future(coro)
    limit = settings.max_file_size_bytes
    budget = settings.disk_budget_bytes
    over: list[int] = []
    full: list[int] = []

    budget_dir = settings.requests_dir if budget is not None else None

    async def watch() -> None:
        while not task.done():
            await asyncio.sleep(_WATCH_INTERVAL)
            # Walking directories is file-system work: off the loop (the request dirs of
            # every job under DISK_BUDGET can hold thousands of files).
            largest, used = await asyncio.to_thread(_measure, work, budget_dir)
            if largest > limit:
                over.append(largest)
                task.cancel()
                return
            if budget is not None and used is not None and used > budget:
                full.append(used)
                task.cancel()
                return

    watcher = asyncio.create_task(watch())
    try:
        async with asyncio.timeout(settings.download_timeout_seconds):
            return await task
    except TimeoutError:
        raise DownloadTimeoutError(
            f"{method} download timed out after {settings.download_timeout_seconds:g}s",
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
                user_message=too_large_message(settings),
            ) from None
        raise
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


def _measure(work: Path, budget_dir: Path | None) -> tuple[int, int | None]:
    """The largest file under ``work``, and what ``budget_dir`` holds (None: not asked)."""
    used = paths.directory_bytes(budget_dir) if budget_dir is not None else None
    return _largest_file(work), used


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
