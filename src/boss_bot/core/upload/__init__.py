"""Uploading to Discord, the pure part: its limits and the batch planner. Never imports discord."""

from boss_bot.core.upload.limits import (
    DM_FILE_LIMIT,
    MAX_ATTACHMENTS_PER_MESSAGE,
    MAX_MESSAGE_CONTENT,
    file_limit_for_tier,
)
from boss_bot.core.upload.planner import (
    Batch,
    FileOverUploadLimitError,
    PlannedFile,
    SizedFile,
    plan_batches,
)

__all__ = [
    "DM_FILE_LIMIT",
    "MAX_ATTACHMENTS_PER_MESSAGE",
    "MAX_MESSAGE_CONTENT",
    "Batch",
    "FileOverUploadLimitError",
    "PlannedFile",
    "SizedFile",
    "file_limit_for_tier",
    "plan_batches",
]
