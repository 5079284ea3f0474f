"""The Cancel button on a status message, and who may use it."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from boss_bot.core.pipeline import Pipeline

log = logging.getLogger(__name__)

CANCEL_PREFIX = "boss:cancel:"


def is_admin(user: discord.abc.User, *, owner_ids: set[int] | frozenset[int] = frozenset()) -> bool:
    """Bot owner, or someone with Manage Server (or Administrator) in this server."""
    if user.id in owner_ids:
        return True
    perms = getattr(user, "guild_permissions", None)
    return bool(perms and (perms.manage_guild or perms.administrator))


#: ``boss:cancel:<job id>:<requester id>``; the requester rides along so any process that
#: receives the click can check who may cancel without a lookup.
CANCEL_TEMPLATE = r"boss:cancel:(?P<job_id>[0-9a-f]{1,16}):(?P<requester>[0-9]{1,20})"


class CancelButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=CANCEL_TEMPLATE
):
    """The Cancel button on a status message. Only the requester or an admin may press it.

    A *dynamic* item (registered once with ``bot.add_dynamic_items``): the bot answers the
    button on any status message whoever posted or last edited it: this process, the same bot
    before a restart, or a ``bossctl worker`` that adopted the job. The click cancels through
    ``bot.pipeline`` (recorded in the database, where the process running the job sees it); the
    button does not edit the message itself: the job's own final edit replaces it, so edits
    stay throttled.
    """

    def __init__(self, job_id: str, requester_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Cancel",
                style=discord.ButtonStyle.danger,
                custom_id=f"{CANCEL_PREFIX}{job_id}:{requester_id}",
            )
        )
        self.job_id = job_id
        self.requester_id = requester_id

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[discord.ui.View],
        match: re.Match[str],
    ) -> CancelButton:
        return cls(match["job_id"], int(match["requester"]))

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


def cancel_view(job_id: str, requester_id: int) -> discord.ui.View:
    """A status message's components: the Cancel button (answered by :class:`CancelButton`)."""
    view = discord.ui.View(timeout=None)
    view.add_item(CancelButton(job_id, requester_id))
    return view
