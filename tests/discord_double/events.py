"""State changes that Discord would announce: store, edit, react, delete, then dispatch.

Who gets a dispatch follows Discord: never for ephemeral messages, never for places the bot
cannot see (a guild it is not in, someone else's DM), the bot's own messages only with
``echo_bot_messages``, and each only on the shard that owns the guild (gateway).
"""

from __future__ import annotations

import time
from typing import Any

from .constants import (
    INTENT_DIRECT_MESSAGE_REACTIONS,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGE_REACTIONS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    MESSAGE_REPLY,
)
from .models import Channel, Guild, Role, mentioned_ids
from .payloads import Payloads, emoji_payload
from .records import FlagChange, MessageEdit, ReactionEvent, StoredMessage


class Events(Payloads):
    # --- who sees what --------------------------------------------------------------------

    def _message_intent(self, msg: StoredMessage) -> int:
        return INTENT_DIRECT_MESSAGES if msg.guild_id is None else INTENT_GUILD_MESSAGES

    def _content_gated(self, msg: StoredMessage) -> bool:
        """Whether MESSAGE_CONTENT is needed to see this message's content (Discord's rule)."""
        return not (
            msg.guild_id is None
            or msg.author_id == self.bot.id
            or self.bot.id in mentioned_ids(msg.content)
        )

    def _bot_sees(self, msg: StoredMessage) -> bool:
        """Whether Discord would tell the bot about this message over the gateway."""
        if msg.ephemeral_to is not None:
            return False
        if msg.author_id == self.bot.id and not self.echo_bot_messages:
            return False
        return self.bot_can_see(self.channels[msg.channel_id])

    def _dispatch_message(self, event: str, msg: StoredMessage) -> None:
        if self._bot_sees(msg):
            self.gateway.dispatch_nowait(
                event,
                self.message_payload(msg),
                intent=self._message_intent(msg),
                content_gated=self._content_gated(msg),
            )

    def _dispatch_guild_event(self, event: str, data: dict[str, Any], intent: int) -> None:
        """A guild-scoped event (roles, members, channels): only for guilds the bot is in."""
        if self.bot_in(int(data["guild_id"])):
            self.gateway.dispatch_nowait(event, data, intent=intent)

    # --- messages -------------------------------------------------------------------------

    async def _store_message(self, msg: StoredMessage) -> None:
        if msg.reference is not None and msg.type == 0:
            msg.type = MESSAGE_REPLY
        self._messages[msg.id] = msg
        self._channel_messages.setdefault(msg.channel_id, []).append(msg.id)
        self._notify()
        self._dispatch_message("MESSAGE_CREATE", msg)
        await self._flush()

    async def _record_edit(self, msg: StoredMessage, payload: dict[str, Any]) -> None:
        msg.edits.append(
            MessageEdit(
                at=time.monotonic(),
                timestamp=time.time(),
                content=msg.content,
                attachment_ids=[a.id for a in msg.attachments],
                payload=payload,
                flags=msg.flags,
            )
        )
        self._notify()
        self._dispatch_message("MESSAGE_UPDATE", msg)
        await self._flush()

    async def _record_flags(self, msg: StoredMessage, by: int, flags: int) -> None:
        """Another author's message had its flags changed (only SUPPRESS_EMBEDS may be)."""
        msg.flag_changes.append(FlagChange(time.monotonic(), by, msg.flags, flags))
        msg.flags = flags
        await self._record_edit(msg, {"flags": flags})

    async def _delete_message(self, msg: StoredMessage, by: int | None = None) -> None:
        msg.deleted, msg.deleted_at, msg.deleted_by = True, time.monotonic(), by
        self._notify()
        if msg.ephemeral_to is not None or not self.bot_can_see(self.channels[msg.channel_id]):
            return
        data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        self.gateway.dispatch_nowait("MESSAGE_DELETE", data, intent=self._message_intent(msg))
        await self._flush()

    async def _flush(self) -> None:
        """Wait (bounded) until queued dispatches are written, so an injection returns after
        its event went out, as before sequencing became synchronous."""
        await self.gateway.flush(self.gateway.live_connections())

    # --- reactions ------------------------------------------------------------------------

    def _reaction_data(self, msg: StoredMessage, emoji: str, user_id: int) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": str(msg.channel_id),
            "message_id": str(msg.id),
            "emoji": emoji_payload(emoji),
            "type": 0,
            "burst": False,
            "message_author_id": str(msg.author_id),
        }
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        return data

    def _reaction_intent(self, msg: StoredMessage) -> int:
        if msg.guild_id is None:
            return INTENT_DIRECT_MESSAGE_REACTIONS
        return INTENT_GUILD_MESSAGE_REACTIONS

    def _add_reaction(self, msg: StoredMessage, emoji: str, user_id: int) -> bool:
        """Record a reaction; False (and nothing recorded) if this user already has it."""
        if user_id in msg.reactors().get(emoji, []):
            return False
        msg.reaction_events.append(ReactionEvent("add", emoji, user_id, time.monotonic()))
        self._notify()
        if msg.ephemeral_to is None and self.bot_can_see(self.channels[msg.channel_id]):
            data = self._reaction_data(msg, emoji, user_id)
            guild = self.guilds.get(msg.guild_id or 0)
            if guild is not None and user_id in guild.members:
                data["member"] = guild.members[user_id].to_payload(self.users[user_id])
            self.gateway.dispatch_nowait(
                "MESSAGE_REACTION_ADD", data, intent=self._reaction_intent(msg)
            )
        return True

    def _remove_reaction(
        self, msg: StoredMessage, emoji: str, user_id: int, by: int | None = None
    ) -> bool:
        """Remove a user's reaction; False if there was none (Discord answers 204 anyway)."""
        if user_id not in msg.reactors().get(emoji, []):
            return False
        event = ReactionEvent("remove", emoji, user_id, time.monotonic(), by)
        msg.reaction_events.append(event)
        self._notify()
        if msg.ephemeral_to is None and self.bot_can_see(self.channels[msg.channel_id]):
            self.gateway.dispatch_nowait(
                "MESSAGE_REACTION_REMOVE",
                self._reaction_data(msg, emoji, user_id),
                intent=self._reaction_intent(msg),
            )
        return True

    # --- guild structure (live updates when configured after the bot connected) -----------

    def _announce_guild(self, guild: Guild) -> None:
        """The bot joined a guild after connecting: GUILD_CREATE on the owning shard."""
        if self.bot.id in guild.members and self.gateway.sessions:
            payload = self.guild_create_payload(guild, joined=True)
            self.gateway.dispatch_nowait(
                "GUILD_CREATE", payload, intent=INTENT_GUILDS, guild_id=guild.id
            )

    def _announce_role(self, guild: Guild, role: Role, event: str = "GUILD_ROLE_CREATE") -> None:
        data = {"guild_id": str(guild.id), "role": role.to_payload()}
        self._dispatch_guild_event(event, data, INTENT_GUILDS)

    def _announce_member(self, guild: Guild, user_id: int, event: str) -> None:
        """GUILD_MEMBER_ADD/UPDATE: needs GUILD_MEMBERS, except updates of the bot itself,
        which Discord sends regardless of intents."""
        data = guild.members[user_id].to_payload(self.users[user_id])
        data["guild_id"] = str(guild.id)
        own_update = user_id == self.bot.id and event == "GUILD_MEMBER_UPDATE"
        self._dispatch_guild_event(event, data, 0 if own_update else INTENT_GUILD_MEMBERS)

    def _announce_channel(self, channel: Channel, event: str = "CHANNEL_CREATE") -> None:
        if channel.guild_id is None:
            return
        data = self.channel_payload(channel)
        if channel.is_thread and event == "CHANNEL_CREATE":
            event, data = "THREAD_CREATE", {**data, "newly_created": True}
        self._dispatch_guild_event(event, data, INTENT_GUILDS)
