"""What a request asks for (:class:`JobRequest`), and how it survives a restart.

A request is persisted as a job row before any work starts; everything needed to run it again
(download options, whether to post, one file per message, force) goes into the row's ``options``
JSON, so a job recovered after a crash or retried from the CLI runs exactly as first asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from boss_bot.core.errors import BossBotError
from boss_bot.core.models import DownloadOptions
from boss_bot.core.store.queue import Job, JobSpec
from boss_bot.core.strategies import strategy_for
from boss_bot.core.urls import normalise_url


@dataclass(frozen=True)
class JobRequest:
    """One link someone asked for, and how. Ids are plain ints: no Discord type in the core."""

    url: str
    user_id: int
    kind: str = "download"
    guild_id: int | None = None
    channel_id: int | None = None
    message_id: int | None = None
    options: DownloadOptions = field(default_factory=DownloadOptions)
    #: Post the files (False: keep them in the archive only).
    upload: bool = True
    #: Post each file in its own message(s) (playlists: one video per message).
    one_file_per_message: bool = False
    #: Skip the "already posted here" check.
    force: bool = False
    priority: int = 0

    @property
    def platform(self) -> str:
        return platform_of(self.url)

    @property
    def media_key(self) -> str:
        return media_key_for(self.url, self.options)

    def to_spec(self) -> JobSpec:
        """The row to persist."""
        return JobSpec(
            url=self.url,
            user_id=self.user_id,
            kind=self.kind,
            guild_id=self.guild_id,
            channel_id=self.channel_id,
            message_id=self.message_id,
            platform=self.platform,
            media_key=self.media_key,
            options={
                "download": self.options.model_dump(mode="json", exclude_defaults=True),
                "upload": self.upload,
                "one_file_per_message": self.one_file_per_message,
                "force": self.force,
            },
            priority=self.priority,
        )

    @classmethod
    def from_job(cls, job: Job) -> JobRequest:
        """The request a persisted job was made from (unknown option keys are ignored, so an
        older row still loads after an upgrade)."""
        opts: dict[str, Any] = job.options or {}
        known = DownloadOptions.model_fields
        download = {k: v for k, v in (opts.get("download") or {}).items() if k in known}
        return cls(
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
        )


def platform_of(url: str) -> str:
    try:
        return strategy_for(url).name
    except BossBotError:
        return "unknown"


def media_key_for(url: str, options: DownloadOptions | None = None) -> str:
    """The canonical media key for dedup: ``platform:id`` when the strategy knows the item,
    else the normalised URL. Options that change *what* is posted (audio only, a playlist's
    length) make a different key; quality does not (the same clip in another resolution is
    still the same clip for "already posted here")."""
    try:
        key = strategy_for(url).media_key(url)
    except BossBotError:
        key = None
    if key is None:
        try:
            key = normalise_url(url)
        except BossBotError:
            key = url.strip()
    if options is not None:
        if options.audio_only:
            key += "|audio"
        if options.playlist:
            key += f"|playlist:{options.max_items or 'all'}"
    return key[:300]


__all__ = ["JobRequest", "media_key_for", "platform_of"]
