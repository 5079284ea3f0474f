"""How automatic mode talks: quietly, on the message that carried the link.

No status message. While a message's jobs run, it wears a ⏳ reaction (removed at the end); the
media is posted as a reply to it, pinging no one; how each job ended is a reaction:

=====  ====================================================================================
⏳     working on it (removed when every job of the message has ended)
⚠️     a job failed; a one-line reply only when the author can do something about it
🔞     the media is marked sensitive and this channel does not show it (``sensitive=block``)
🚦     refused for now: the author's quota or the queue is full
🔁     already posted here recently (dedup): nothing posted again
=====  ====================================================================================

With ``original=suppress``, the original message's link embeds are hidden once the bot's own
post has gone out (it needs Manage Messages; without it nothing fails, ``$settings`` says so).

One :class:`QuietPost` per original message, shared by its jobs, whether they were started by
the message itself or adopted after a restart or by a worker (:func:`quiet_post_for`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import TYPE_CHECKING, Any, Protocol

import discord

from boss_bot.bot.uploader import DiscordUploader
from boss_bot.core.errors import CompressionError, UploadTooLargeError

if TYPE_CHECKING:
    from boss_bot.core.guilds import GuildSettingsService
    from boss_bot.core.pipeline import JobResult, Pipeline
    from boss_bot.core.settings import BossSettings

log = logging.getLogger(__name__)

WORKING = "⏳"
FAILED = "⚠️"
SENSITIVE = "🔞"
REFUSED = "🚦"
ALREADY_POSTED = "🔁"
#: Errors the author can do something about: they get a one-line reply besides the reaction.
TOO_BIG = (
    "Too big to post here, even compressed: `{prefix}download-only <{url}>` keeps it in the "
    "archive."
)


class QuietHost(Protocol):
    """What a quiet post needs from the process posting it: the bot, or a worker's REST host."""

    settings: BossSettings
    pipeline: Pipeline
    guild_settings: GuildSettingsService
    quiet_posts: dict[int, QuietPost]

    @property
    def user(self) -> discord.ClientUser | None:
        """The bot's own user (whose ⏳ is removed at the end)."""
        ...

    def track(self, task: asyncio.Task[Any]) -> None: ...


def quiet_post_for(host: QuietHost, original: Any, guild_id: int | None) -> QuietPost:
    """The quiet post of ``original`` (a Message or PartialMessage), made on first use."""
    post = host.quiet_posts.get(original.id)
    if post is None:
        post = host.quiet_posts[original.id] = QuietPost(host, original, guild_id)
    return post


class QuietPost:
    """The automatic-mode jobs of one message: see the module docstring."""

    def __init__(self, host: QuietHost, original: Any, guild_id: int | None) -> None:
        self.host = host
        self.original = original
        self.guild_id = guild_id
        self._running = 0
        self._marks: set[str] = set()
        self._suppressed = False
        self._working_shown = False

    async def begin(self) -> None:
        """Show ⏳ (once; a job adopted later for the same message keeps it)."""
        if not self._working_shown:
            self._working_shown = True
            await self._react(WORKING)

    def hold(self) -> None:
        """Keep the post open while its links are being submitted (see :meth:`release`)."""
        self._running += 1

    async def release(self) -> None:
        """Submitting is over: end now if no job of this message is still running."""
        self._running -= 1
        if self._running == 0:
            await self._end()

    def follow(self, job_id: str) -> None:
        """Wait for a job of this message in the background, then show how it ended."""
        self._running += 1
        self.host.track(asyncio.create_task(self._follow(job_id), name=f"quiet-{job_id}"))

    def uploader(self, file_limit: int, requester_id: int) -> DiscordUploader:
        """Posts this message's media as replies to it, pinging no one."""
        return DiscordUploader(
            functools.partial(self.original.reply, mention_author=False),
            file_limit,
            requester_id,
            quiet=True,
        )

    def mark(self, emoji: str) -> None:
        """A request of this message that started no job (refused, already posted)."""
        self._marks.add(emoji)

    async def _follow(self, job_id: str) -> None:
        try:
            result = await self.host.pipeline.wait(job_id)
        except Exception:
            log.exception("job %s: no result", job_id)
            result = None
        try:
            if result is not None and not result.remote:  # a worker told the user itself
                await self._after(result)
        finally:
            await self.release()

    async def _after(self, result: JobResult) -> None:
        if result.outcome == "done" and result.messages:
            await self._suppress_embeds()
            return
        if result.outcome in ("cancelled", "interrupted"):
            return  # a cancel was asked for; an interrupted job runs again after the restart
        code = result.error.code if result.error is not None else None
        if code == "sensitive":
            self._marks.add(SENSITIVE)
            return
        self._marks.add(FAILED)
        if isinstance(result.error, CompressionError | UploadTooLargeError):
            prefix = self.host.settings.command_prefix
            await self._reply(TOO_BIG.format(prefix=prefix, url=result.job.url))

    async def _end(self) -> None:
        self.host.quiet_posts.pop(self.original.id, None)
        for emoji in sorted(self._marks):
            await self._react(emoji)
        me = self.host.user
        if self._working_shown and me is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.original.remove_reaction(WORKING, me)

    async def _suppress_embeds(self) -> None:
        """``original=suppress``: hide the original's link embeds, once, if allowed."""
        if self._suppressed or self.guild_id is None:
            return
        rules = await self.host.guild_settings.get(self.guild_id)
        if rules.original != "suppress":
            return
        self._suppressed = True
        try:
            message = self.original
            if not isinstance(message, discord.Message):
                message = await message.fetch()
            await message.edit(suppress=True)
        except discord.Forbidden:
            log.info("message %s: no Manage Messages, its embeds stay", self.original.id)
        except discord.HTTPException:
            log.warning("message %s: could not hide its embeds", self.original.id, exc_info=True)

    async def _react(self, emoji: str) -> None:
        try:
            await self.original.add_reaction(emoji)
        except discord.HTTPException:  # no permission, or the message is gone: stay quiet
            log.info("message %s: could not add %s", self.original.id, emoji)

    async def _reply(self, text: str) -> None:
        try:
            await self.original.reply(
                text, mention_author=False, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException:
            log.info("message %s: could not reply", self.original.id)


__all__ = [
    "ALREADY_POSTED",
    "FAILED",
    "REFUSED",
    "SENSITIVE",
    "WORKING",
    "QuietHost",
    "QuietPost",
    "quiet_post_for",
]
