"""The Cancel button on a status message, and who may use it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

log = logging.getLogger(__name__)

CANCEL_PREFIX = "boss:cancel:"


def is_admin(user: discord.abc.User, *, owner_ids: set[int] | frozenset[int] = frozenset()) -> bool:
    """Bot owner, or someone with Manage Server (or Administrator) in this server."""
    if user.id in owner_ids:
        return True
    perms = getattr(user, "guild_permissions", None)
    return bool(perms and (perms.manage_guild or perms.administrator))


class CancelView(discord.ui.View):
    """One Cancel button. Only the requester or an admin may press it; others are told so.

    ``cancel(job_id, user_id)`` does the cancelling (through the pipeline, which records it in
    the database). The button does not edit the message itself: the status message's owner
    makes the final edit, so edits stay throttled. The custom id carries the job id, so the
    view re-attached to a status message after a restart answers the same button.
    """

    def __init__(
        self,
        job_id: str,
        requester_id: int,
        cancel: Callable[[str, int], Awaitable[object]],
        *,
        owner_ids: set[int] | frozenset[int] = frozenset(),
    ) -> None:
        super().__init__(timeout=None)  # lives exactly as long as the job; stopped when it ends
        self.job_id = job_id
        self.requester_id = requester_id
        self._cancel = cancel
        self._owner_ids = owner_ids
        self.cancel_button.custom_id = f"{CANCEL_PREFIX}{job_id}"

    def allowed(self, user: discord.abc.User) -> bool:
        return user.id == self.requester_id or is_admin(user, owner_ids=self._owner_ids)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if self.allowed(interaction.user):
            return True
        await interaction.response.send_message(
            "Only the person who asked, or an admin, can cancel this.", ephemeral=True
        )
        return False

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.danger)
    async def cancel_button(
        self, interaction: discord.Interaction, button: discord.ui.Button[CancelView]
    ) -> None:
        log.info("job %s: cancel pressed by %s", self.job_id, interaction.user.id)
        button.disabled = True
        # Acknowledge first (Discord wants an answer within 3 s), without editing: the job's
        # own final edit replaces the message.
        await interaction.response.defer()
        await self._cancel(self.job_id, interaction.user.id)
