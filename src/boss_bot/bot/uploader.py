"""Posting one planned batch to Discord: the pipeline's :class:`~boss_bot.core.pipeline.Uploader`.

:class:`DiscordUploader` streams the files from disk with whatever ``send`` it is given (a
command's ``ctx.send``, a channel's ``send`` for an adopted job, a reply to the original message
in automatic mode), puts the 🗑 button on the last message of a post, spoilers the files when the
batch says so, and turns Discord's 413 / 40005 into the core's
:class:`~boss_bot.core.errors.UploadTooLargeError`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from boss_bot.bot.views import delete_view
from boss_bot.core.errors import UploadError, UploadTooLargeError
from boss_bot.core.pipeline import Posted, UploadBatch
from boss_bot.core.stats_text import human_bytes
from boss_bot.core.upload.limits import (
    DM_FILE_LIMIT,
    HTTP_PAYLOAD_TOO_LARGE,
    JSON_REQUEST_ENTITY_TOO_LARGE,
    MAX_MESSAGE_CONTENT,
)

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot

SendFn = Callable[..., Awaitable[Any]]


def file_limit_for(ctx: commands.Context[BossBot]) -> int:
    """The per-file limit where ``ctx`` will post: the interaction's, the guild's, or a DM's."""
    if ctx.interaction is not None:
        limit = getattr(ctx.interaction, "filesize_limit", None)
        if isinstance(limit, int) and limit > 0:
            return limit
    if ctx.guild is not None:
        return ctx.guild.filesize_limit
    return DM_FILE_LIMIT


def caption(batch: UploadBatch, *, with_url: bool = True) -> str:
    """``<url>`` plus which message of how many, and which parts of a split file. A reply to
    the message that carried the link (automatic mode) leaves the link out."""
    bits = [f"<{batch.url}>"] if with_url else []
    if batch.total > 1:
        bits.append(f"message {batch.index}/{batch.total}")
    for f in batch.files:
        if f.parts:
            bits.append(f"`{f.source.name}` part {f.part}/{f.parts}")
    text = " · ".join(bits)
    for name, url, size in batch.links:  # bare URLs: Discord plays a direct media link inline
        text += f"\n`{name}` ({human_bytes(size)}, too big to attach): {url}"
    return (
        text.strip() if len(text) <= MAX_MESSAGE_CONTENT else text[: MAX_MESSAGE_CONTENT - 1] + "…"
    )


class DiscordUploader:
    """Posts batches with ``send`` (``ctx.send``: for slash commands, follow-ups; or a
    channel's ``send`` for jobs adopted after a restart). The last message of a post carries
    the 🗑 button for ``requester_id``; spoilered batches go out as ``SPOILER_`` files."""

    def __init__(
        self,
        send: SendFn,
        file_limit: int | Callable[[], int],
        requester_id: int,
        *,
        quiet: bool = False,
    ) -> None:
        self._send = send
        #: A number, or a function when the destination can change (an interaction's
        #: follow-ups, then the user's DMs).
        self._file_limit = file_limit
        self.requester_id = requester_id
        #: Automatic mode: a reply to the original, which already shows the link.
        self.quiet = quiet

    @property
    def file_limit(self) -> int:
        limit = self._file_limit
        return limit() if callable(limit) else limit

    @classmethod
    def for_context(cls, ctx: commands.Context[BossBot]) -> DiscordUploader:
        return cls(ctx.send, file_limit_for(ctx), ctx.author.id)

    async def send(self, batch: UploadBatch) -> Posted | None:
        # discord.File with a path opens the file and streams it into the request; nothing is
        # read into memory here, and discord.py closes the files after the send.
        files = [discord.File(f.path, filename=f.name, spoiler=batch.spoiler) for f in batch.files]
        extra: dict[str, Any] = {"nonce": batch.nonce} if batch.nonce else {}
        if batch.last and batch.job_id:
            extra["view"] = delete_view(batch.job_id, self.requester_id)
        try:
            message = await self._send(
                caption(batch, with_url=not self.quiet),
                files=files,
                allowed_mentions=discord.AllowedMentions.none(),
                **extra,
            )
        except discord.HTTPException as exc:
            if exc.status == HTTP_PAYLOAD_TOO_LARGE or exc.code == JSON_REQUEST_ENTITY_TOO_LARGE:
                raise UploadTooLargeError(
                    f"HTTP {exc.status} / {exc.code}: {exc.text}",
                    user_message="Discord refused the files as too large.",
                ) from exc
            if exc.status >= 500:  # discord.py already retried it five times
                raise UploadError(
                    f"HTTP {exc.status} / {exc.code}: {exc.text}",
                    user_message=f"Discord refused the upload ({exc.status}: Discord had a "
                    "server error and did not take the files; try again later).",
                ) from exc
            raise UploadError(
                f"HTTP {exc.status} / {exc.code}: {exc.text}",
                user_message=f"Discord refused the upload ({exc.status}: "
                f"{exc.text or 'no reason'}).",
            ) from exc
        finally:
            for f in files:
                f.close()
        if message is None:
            return None
        return Posted(message.id, message.jump_url)


__all__ = ["DiscordUploader", "SendFn", "caption", "file_limit_for"]
