"""Answering through an interaction: its follow-ups while the token lives, the user's DMs after.

A request made with a slash command or with "Download media" may have to be answered through
the interaction alone: the bot is not a member of a DM, of a group DM, or of a server that
installed the app for one person. Discord lets the bot use the interaction's webhook
(``/webhooks/{application_id}/{token}``) for 15 minutes, with the interaction's own
``attachment_size_limit`` per file. A job still queued or running near that point must not be
lost, so:

* until ``INTERACTION_HANDOVER_SECONDS`` before the token expires, the status message is the
  interaction's follow-up and the files go out as follow-ups;
* at that point, if the job is not done, one last follow-up says the result will come by DM,
  the status message stops changing, and from then on the files (and the summary) are sent to
  the user by DM, which user-installed apps may do.

The reply (application id, token, expiry, limit) is stored with the job
(:class:`~boss_bot.core.jobs.InteractionReply`), so a restarted bot or a ``bossctl worker``
that takes the job answers it the same way (:func:`interaction_attachment`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

import discord

from boss_bot.bot.uploader import DiscordUploader
from boss_bot.core.jobs import InteractionReply
from boss_bot.core.upload.limits import DM_FILE_LIMIT

if TYPE_CHECKING:
    from boss_bot.core.settings import BossSettings

log = logging.getLogger(__name__)

HANDOVER_NOTE = (
    "⏳ Still working on it. Discord lets me answer here for 15 minutes only, so I'll send the "
    "result to you by DM."
)


def reply_for(interaction: discord.Interaction, settings: BossSettings) -> InteractionReply:
    """What a job needs to answer ``interaction`` later, from any process."""
    created = interaction.created_at.timestamp()
    return InteractionReply(
        application_id=interaction.application_id,
        token=interaction.token,
        expires_at=created + settings.interaction_token_seconds,
        file_limit=interaction.filesize_limit,
    )


class InteractionDelivery:
    """Sends a job's messages through an interaction's webhook, or by DM after the handover."""

    def __init__(
        self, client: discord.Client, settings: BossSettings, reply: InteractionReply, user_id: int
    ) -> None:
        self.client = client
        self.reply = reply
        self.user_id = user_id
        self.handover_at = reply.expires_at - settings.interaction_handover_seconds
        self.webhook = discord.Webhook.partial(reply.application_id, reply.token, client=client)
        self._dm: discord.DMChannel | None = None

    def by_dm(self) -> bool:
        """Past the handover: the token is (about to be) refused; the user's DMs instead."""
        return time.time() >= self.handover_at

    def file_limit(self) -> int:
        """The per-file limit of where the next message goes."""
        return DM_FILE_LIMIT if self.by_dm() else self.reply.file_limit

    async def dm(self) -> discord.DMChannel:
        if self._dm is None:
            self._dm = await self.client.create_dm(discord.Object(id=self.user_id))
        return self._dm

    async def send(self, content: str | None = None, **kwargs: Any) -> Any:
        """A follow-up while the token lives, else a DM (same arguments as ``send``)."""
        if self.by_dm():
            return await (await self.dm()).send(content, **kwargs)
        kwargs.pop("nonce", None)  # webhooks take no nonce
        return await self.webhook.send(content or "", wait=True, **kwargs)

    async def edit(self, message_id: int, text: str, **kwargs: Any) -> None:
        """Edit a follow-up (the status message) while the token lives; after, nothing."""
        if not self.by_dm():
            await self.webhook.edit_message(message_id, content=text, **kwargs)

    def uploader(self) -> DiscordUploader:
        return DiscordUploader(self.send, self.file_limit, self.user_id)

    async def handover(self) -> None:
        """The last follow-up before the token expires: the result will come by DM."""
        with contextlib.suppress(discord.HTTPException):
            await self.webhook.send(HANDOVER_NOTE, wait=True)

    async def wait_for_handover(self) -> None:
        await asyncio.sleep(max(0.0, self.handover_at - time.time()))


def delivery_for(host: Any, reply: InteractionReply, user_id: int) -> InteractionDelivery:
    """An :class:`InteractionDelivery` on the host's Discord client (the bot, or a worker's)."""
    client = getattr(host, "client", host)  # a worker's RestHost wraps a REST-only client
    return InteractionDelivery(client, host.settings, reply, user_id)


__all__ = ["HANDOVER_NOTE", "InteractionDelivery", "delivery_for", "reply_for"]
