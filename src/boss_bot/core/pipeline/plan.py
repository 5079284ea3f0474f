"""Which files go in which message: the grouping rules around the batch planner.

:func:`plan_messages` keeps a split file's parts together when posting file by file (playlists),
then lets :func:`~boss_bot.core.upload.planner.plan_batches` pack each group into the fewest
messages under Discord's limits. :func:`batch_nonce` names a message for Discord's
idempotent send. Both are pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from boss_bot.core.pipeline.types import OutFile
from boss_bot.core.upload.limits import MAX_ATTACHMENTS_PER_MESSAGE
from boss_bot.core.upload.planner import plan_batches


def plan_messages(
    files: Sequence[OutFile],
    *,
    limit: int,
    one_per_message: bool,
    max_files: int,
    max_bytes: int | None,
) -> list[tuple[OutFile, ...]]:
    """The messages to send, in order: each a tuple of files under every limit.

    ``max_files`` and ``max_bytes`` are the configured per-message caps
    (``UPLOAD_MAX_FILES_PER_BATCH``, ``UPLOAD_BATCH_SIZE_BYTES``); Discord's own count limit
    applies on top.
    """
    per_message = min(max_files, MAX_ATTACHMENTS_PER_MESSAGE)
    groups: list[list[OutFile]] = []
    for f in files:  # one group per source when posting file by file (split parts stay)
        if one_per_message and groups and groups[-1][0].source == f.source:
            groups[-1].append(f)
        elif one_per_message or not groups:
            groups.append([f])
        else:
            groups[-1].append(f)
    return [
        batch
        for group in groups
        for batch in plan_batches(
            group,
            max_files_per_message=per_message,
            max_bytes_per_message=max_bytes,
            max_bytes_per_file=limit,
        )
    ]


def batch_nonce(job_id: str, batch: Sequence[OutFile]) -> str:
    """At most 25 characters (Discord's limit): the job id and a digest of the file names."""
    names = "\x00".join(f.name for f in batch).encode()
    return f"{job_id[:12]}{hashlib.sha1(names, usedforsecurity=False).hexdigest()[:12]}"


__all__ = ["batch_nonce", "plan_messages"]
