"""A :class:`JobRequest` as a ``jobs`` row, and back: the one place the mapping lives.

The request's plain fields are columns; the platform and the dedup key are derived from its
URL when it is stored (so queries can filter on them); what only the run needs (download
options, whether to post, one file per message, force) goes into the ``options`` JSON. Unknown
option keys are ignored on the way back, so an older row still loads after an upgrade.
"""

from __future__ import annotations

from typing import Any

from boss_bot.core.jobs import Job, JobRequest
from boss_bot.core.jobs.requests import (
    SENSITIVE_ACTIONS,
    TOO_BIG_MODES,
    InteractionReply,
    SensitiveAction,
    TooBig,
)
from boss_bot.core.models import DownloadOptions
from boss_bot.core.store.schema import JobRow


def request_columns(request: JobRequest) -> dict[str, Any]:
    """The columns a new row takes from ``request`` (the queue adds id, status and times)."""
    return {
        "url": request.url,
        "user_id": request.user_id,
        "kind": request.kind,
        "guild_id": request.guild_id,
        "channel_id": request.channel_id,
        "message_id": request.message_id,
        "platform": request.platform,
        "media_key": request.media_key,
        "options": {
            "download": request.options.model_dump(mode="json", exclude_defaults=True),
            "upload": request.upload,
            "one_file_per_message": request.one_file_per_message,
            "force": request.force,
            "auto": request.auto,
            "spoiler": request.spoiler,
            "on_sensitive": request.on_sensitive,
            "too_big": request.too_big,
        },
        "priority": request.priority,
        "reply": request.reply.to_json() if request.reply is not None else None,
    }


def request_of(job: Job) -> JobRequest:
    """The request a stored job was made from."""
    opts: dict[str, Any] = job.options or {}
    known = DownloadOptions.model_fields
    download = {k: v for k, v in (opts.get("download") or {}).items() if k in known}
    return JobRequest(
        url=job.url,
        user_id=job.user_id,
        kind=job.kind,
        guild_id=job.guild_id,
        channel_id=job.channel_id,
        message_id=job.message_id,
        options=DownloadOptions(**download),
        upload=bool(opts.get("upload", job.kind != "download-only")),
        one_file_per_message=bool(opts.get("one_file_per_message", False)),
        force=bool(opts.get("force", False)),
        priority=job.priority,
        auto=bool(opts.get("auto", False)),
        spoiler=bool(opts.get("spoiler", False)),
        on_sensitive=_sensitive_action(opts.get("on_sensitive")),
        reply=InteractionReply.from_json(job.reply) if job.reply else None,
        too_big=_too_big(opts.get("too_big")),
    )


def _too_big(value: object) -> TooBig:
    return value if value in TOO_BIG_MODES else "compress"  # type: ignore[return-value]


def _sensitive_action(value: object) -> SensitiveAction:
    """A stored action, or spoilers for rows older than the field (never shown openly)."""
    return value if value in SENSITIVE_ACTIONS else "spoiler"  # type: ignore[return-value]


def job_from_row(row: JobRow) -> Job:
    """A snapshot of an ORM row (the queue itself reads rows in :class:`Job`'s column order)."""
    return Job(**{name: getattr(row, name) for name in Job.__dataclass_fields__})


__all__ = ["job_from_row", "request_columns", "request_of"]
