"""The buttons on the bot's messages, and who may use them: Cancel on a status message, 🗑 on
the last message of every post. Both are dynamic items: their state (job, requester) is in the
custom id and the store, so any bot process answers them, after a restart or from another shard.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, ClassVar, Self

import discord

if TYPE_CHECKING:
    from boss_bot.core.pipeline import Pipeline
    from boss_bot.core.store import Store

log = logging.getLogger(__name__)

CANCEL_PREFIX = "boss:cancel:"
DELETE_PREFIX = "boss:delete:"
DELETE_REFUSAL = (
    "Only the person who asked, or someone who can manage messages here, can delete this."
)


def is_admin(user: discord.abc.User, *, owner_ids: set[int] | frozenset[int] = frozenset()) -> bool:
    """Bot owner, or someone with Manage Server (or Administrator) in this server."""
    if user.id in owner_ids:
        return True
    perms = getattr(user, "guild_permissions", None)
    return bool(perms and (perms.manage_guild or perms.administrator))


#: ``boss:cancel:<job id>:<requester id>``; the requester rides along so any process that
#: receives the click can check who may cancel without a lookup.
CANCEL_TEMPLATE = r"boss:cancel:(?P<job_id>[0-9a-f]{1,16}):(?P<requester>[0-9]{1,20})"


class _JobButton:
    """What Cancel and 🗑 share: the job and its requester ride in the custom id
    (``<prefix><job id>:<requester id>``), so any process can answer a click without a lookup."""

    prefix: ClassVar[str]

    @staticmethod
    def button(custom_id: str) -> discord.ui.Button[discord.ui.View]:
        raise NotImplementedError

    def __init__(self, job_id: str, requester_id: int) -> None:
        super().__init__(self.button(f"{self.prefix}{job_id}:{requester_id}"))  # type: ignore[call-arg]
        self.job_id = job_id
        self.requester_id = requester_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[discord.ui.View],
        match: re.Match[str],
    ) -> Self:
        return cls(match["job_id"], int(match["requester"]))


class CancelButton(
    _JobButton,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=CANCEL_TEMPLATE,
):
    """The Cancel button on a status message. Only the requester or an admin may press it.

    A *dynamic* item (registered once with ``bot.add_dynamic_items``): the bot answers the
    button on any status message whoever posted or last edited it: this process, the same bot
    before a restart, or a ``bossctl worker`` that adopted the job. The click cancels through
    ``bot.pipeline`` (recorded in the database, where the process running the job sees it); the
    button does not edit the message itself: the job's own final edit replaces it, so edits
    stay throttled.
    """

    prefix = CANCEL_PREFIX

    @staticmethod
    def button(custom_id: str) -> discord.ui.Button[discord.ui.View]:
        return discord.ui.Button(
            label="Cancel", style=discord.ButtonStyle.danger, custom_id=custom_id
        )

    def allowed(self, user: discord.abc.User, owner_ids: set[int] | frozenset[int]) -> bool:
        return user.id == self.requester_id or is_admin(user, owner_ids=owner_ids)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        owners = frozenset(getattr(interaction.client, "admin_ids", ()))
        if self.allowed(interaction.user, owners):
            return True
        await interaction.response.send_message(
            "Only the person who asked, or an admin, can cancel this.", ephemeral=True
        )
        return False

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        log.info("job %s: cancel pressed by %s", self.job_id, interaction.user.id)
        # Acknowledge first (Discord wants an answer within 3 s), without editing.
        await interaction.response.defer()
        pipeline: Pipeline | None = getattr(interaction.client, "pipeline", None)
        if pipeline is not None:
            await pipeline.cancel(self.job_id, by=interaction.user.id)


#: ``boss:delete:<job id>:<requester id>``.
DELETE_TEMPLATE = r"boss:delete:(?P<job_id>[0-9a-f]{1,16}):(?P<requester>[0-9]{1,20})"


class DeleteButton(
    _JobButton,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=DELETE_TEMPLATE,
):
    """🗑 on the last message of a post: deletes every message of that job (its posts and its
    status message). The requester may press it, and anyone who can manage messages in the
    channel; anyone else gets an ephemeral refusal. The messages are read from the store, so it
    works on any post, whichever process made it."""

    prefix = DELETE_PREFIX

    @staticmethod
    def button(custom_id: str) -> discord.ui.Button[discord.ui.View]:
        return discord.ui.Button(
            emoji="🗑️", style=discord.ButtonStyle.secondary, custom_id=custom_id
        )

    def allowed(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.requester_id:
            return True
        perms = interaction.permissions  # the clicker's, in this channel
        return bool(perms.manage_messages or perms.administrator)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        if self.allowed(interaction):
            return True
        await interaction.response.send_message(DELETE_REFUSAL, ephemeral=True)
        return False

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        log.info("job %s: delete pressed by %s", self.job_id, interaction.user.id)
        await interaction.response.defer()
        store: Store | None = getattr(interaction.client, "store", None)
        channel = interaction.channel
        if store is None or channel is None or not hasattr(channel, "get_partial_message"):
            return
        ids = await job_message_ids(store, self.job_id)
        if interaction.message is not None:
            ids.add(interaction.message.id)
        for message_id in sorted(ids):
            try:
                await channel.get_partial_message(message_id).delete()
            except discord.NotFound:
                continue  # already gone
            except discord.HTTPException:
                log.warning("job %s: could not delete message %s", self.job_id, message_id)


async def job_message_ids(store: Store, job_id: str) -> set[int]:
    """Every message the bot posted for a job: its batches and its status message."""
    ids = {f.message_id for f in await store.history.files(job_id) if f.message_id is not None}
    job = await store.queue.get(job_id)
    if job is not None and job.status_message_id is not None:
        ids.add(job.status_message_id)
    return ids


def delete_view(job_id: str, requester_id: int) -> discord.ui.View:
    """The last post message's components: the 🗑 button (answered by :class:`DeleteButton`)."""
    view = discord.ui.View(timeout=None)
    view.add_item(DeleteButton(job_id, requester_id))
    return view


def cancel_view(job_id: str, requester_id: int) -> discord.ui.View:
    """A status message's components: the Cancel button (answered by :class:`CancelButton`)."""
    view = discord.ui.View(timeout=None)
    view.add_item(CancelButton(job_id, requester_id))
    return view
