"""Rendering state into the JSON Discord sends: channels, threads, guilds, members, messages.

Every key discord.py 2.7.1 reads unconditionally is present (see the package docstring for
the ones that bit). GUILD_CREATE is built in time linear in the guild's size, nothing
global, so serving thousands of guilds stays cheap.
"""

from __future__ import annotations

from typing import Any

from .constants import (
    CHANNEL_CATEGORY,
    CHANNEL_DM,
    CHANNEL_GROUP_DM,
    CHANNEL_VOICE,
    COMPONENT_CHANNEL_SELECT,
    COMPONENT_MENTIONABLE_SELECT,
    COMPONENT_ROLE_SELECT,
    COMPONENT_USER_SELECT,
)
from .models import Channel, Guild, iso, mentioned_ids
from .records import StoredMessage
from .state import DoubleState


def emoji_payload(emoji: str) -> dict[str, Any]:
    """``"⏳"`` → ``{"id": None, "name": "⏳"}``; ``"name:123"`` → a custom emoji."""
    name, _, emoji_id = emoji.partition(":")
    if emoji_id.isdigit():
        return {"id": emoji_id, "name": name, "animated": False}
    return {"id": None, "name": emoji}


class Payloads(DoubleState):
    def application_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.bot.username,
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.app_owner.to_payload(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "summary": "",
            "bot": self.bot.to_payload(),
            "redirect_uris": [],
            "interactions_endpoint_url": None,  # non-null makes discord.py warn
        }

    def channel_payload(self, channel: Channel) -> dict[str, Any]:
        if channel.type == CHANNEL_DM:
            others = [channel.recipient_id] if channel.recipient_id else channel.recipient_ids
            return {
                "id": str(channel.id),
                "type": CHANNEL_DM,
                "recipients": [self.users[u].to_payload() for u in others],
                "last_message_id": None,
            }
        if channel.type == CHANNEL_GROUP_DM:
            return {
                "id": str(channel.id),
                "type": CHANNEL_GROUP_DM,
                "name": channel.name,
                "icon": None,
                "owner_id": str(channel.recipient_ids[0]) if channel.recipient_ids else None,
                "recipients": [self.users[u].to_payload() for u in channel.recipient_ids],
                "last_message_id": None,
            }
        if channel.is_thread:
            return self.thread_payload(channel)
        payload: dict[str, Any] = {
            "id": str(channel.id),
            "type": channel.type,
            "guild_id": str(channel.guild_id),
            "name": channel.name,
            "position": channel.position,
            "permission_overwrites": [o.to_payload() for o in channel.overwrites.values()],
            "parent_id": str(channel.parent_id) if channel.parent_id else None,
            "nsfw": channel.nsfw,
            "flags": 0,
        }
        if channel.type == CHANNEL_CATEGORY:
            return payload
        payload.update(last_message_id=None, rate_limit_per_user=0)
        if channel.type == CHANNEL_VOICE:
            payload.update(bitrate=64000, user_limit=0, rtc_region=None, video_quality_mode=1)
        else:
            payload["topic"] = channel.topic
        return payload

    def thread_payload(self, thread: Channel) -> dict[str, Any]:
        """A thread: discord.py reads owner_id, message_count, member_count, thread_metadata."""
        return {
            "id": str(thread.id),
            "type": thread.type,
            "guild_id": str(thread.guild_id),
            "parent_id": str(thread.parent_id),
            "owner_id": str(thread.owner_id or self.bot.id),
            "name": thread.name,
            "last_message_id": None,
            "message_count": len(self._channel_messages.get(thread.id, [])),
            "member_count": 1,
            "total_message_sent": len(self._channel_messages.get(thread.id, [])),
            "rate_limit_per_user": 0,
            "flags": 0,
            "applied_tags": [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": iso(thread.created_at),
                "locked": False,
                "create_timestamp": iso(thread.created_at),
            },
        }

    def interaction_channel_payload(self, channel: Channel, user_id: int) -> dict[str, Any]:
        """The partial channel of an interaction: no overwrites, but the invoking user's
        ``permissions`` (discord.py builds a TextChannel from it when the guild is unknown to
        the bot, reading ``name`` and ``position``)."""
        payload = self.channel_payload(channel)
        if channel.guild_id is not None:
            payload.pop("permission_overwrites", None)
            payload["permissions"] = str(self.permissions_in(channel, user_id))
        return payload

    def member_payload(
        self, guild: Guild, user_id: int, *, channel: Channel | None = None, user: bool = True
    ) -> dict[str, Any]:
        """A member object; with ``channel``, plus ``permissions`` there (as in interactions
        and resolved data)."""
        member = guild.members[user_id]
        payload = member.to_payload(self.users[user_id] if user else None)
        if channel is not None:
            payload["permissions"] = str(self.permissions_in(channel, user_id))
        return payload

    def guild_create_payload(
        self, guild: Guild, large_threshold: int = 250, *, joined: bool = False
    ) -> dict[str, Any]:
        """GUILD_CREATE with everything inline. With ``guild_create_members="all"`` and no
        claimed count, ``member_count`` equals the members sent, so discord.py considers the
        guild chunked and never requests members. ``joined``: the bot just joined it, and
        ``unavailable`` is left out (discord.py takes ``unavailable: false`` for a guild
        coming back, firing ``on_guild_available`` instead of ``on_guild_join``)."""
        users = self.users
        if self.guild_create_members == "all":
            members = [m.to_payload(users[m.user_id]) for m in guild.members.values()]
        else:
            bot = guild.members.get(self.bot.id)
            members = [bot.to_payload(self.bot)] if bot is not None else []
        member_count = guild.member_count
        payload = {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": guild.premium_tier,
            "premium_subscription_count": [0, 2, 7, 14][guild.premium_tier],
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "features": [],
            "roles": [r.to_payload() for r in guild.roles.values()],
            "emojis": [],
            "stickers": [],
            "channels": [self.channel_payload(c) for c in guild.channels.values()],
            "threads": [self.thread_payload(t) for t in guild.threads.values()],
            "members": members,
            "member_count": member_count,
            "large": member_count > large_threshold,
            "unavailable": False,
            "joined_at": iso(guild.created_at),
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "application_id": None,
        }
        if joined:
            del payload["unavailable"]
        return payload

    def _user_with_member(self, user_id: int, guild_id: int | None) -> dict[str, Any]:
        payload = self.users[user_id].to_payload()
        member = self.guilds[guild_id].members.get(user_id) if guild_id else None
        if member is not None:
            payload["member"] = member.to_payload()
        return payload

    def reactions_payload(self, msg: StoredMessage) -> list[dict[str, Any]]:
        return [
            {
                "emoji": emoji_payload(emoji),
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": self.bot.id in users,
                "me_burst": False,
                "burst_colors": [],
            }
            for emoji, users in msg.reactors().items()
        ]

    def message_payload(self, msg: StoredMessage, *, with_reference: bool = True) -> dict[str, Any]:
        """The message object as Discord returns it (REST) and dispatches it (gateway)."""
        payload: dict[str, Any] = {
            "id": str(msg.id),
            "channel_id": str(msg.channel_id),
            "author": self.users[msg.author_id].to_payload(),
            "content": msg.content,
            "timestamp": iso(msg.created_at),
            "edited_timestamp": iso(msg.edited_at) if msg.edited_at is not None else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [
                self._user_with_member(uid, msg.guild_id)
                for uid in mentioned_ids(msg.content)
                if uid in self.users
            ],
            "mention_roles": [],
            "attachments": [a.to_payload() for a in msg.attachments],
            "embeds": msg.embeds,
            "components": msg.components,
            "pinned": False,
            "type": msg.type,
            "flags": msg.flags,
        }
        if msg.reaction_events:
            payload["reactions"] = self.reactions_payload(msg)
        if msg.guild_id is not None:
            payload["guild_id"] = str(msg.guild_id)
            member = self.guilds[msg.guild_id].members.get(msg.author_id)
            if member is not None:
                payload["member"] = member.to_payload()
        if msg.nonce is not None:
            payload["nonce"] = msg.nonce
        if msg.webhook_id is not None:
            payload["webhook_id"] = str(msg.webhook_id)
            payload["application_id"] = str(self.application_id)
        if msg.interaction_id is not None:
            interaction = self.interactions[msg.interaction_id]
            owners = interaction.payload.get("authorizing_integration_owners", {})
            payload["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": self.users[interaction.user_id].to_payload(),
                "authorizing_integration_owners": owners,
            }
        if msg.reference is not None and with_reference:
            ref_id = int(msg.reference.get("message_id") or 0)
            referenced = self._messages.get(ref_id)
            ref_channel = referenced.channel_id if referenced else msg.channel_id
            payload["message_reference"] = {
                "type": 0,
                "message_id": str(ref_id),
                "channel_id": str(msg.reference.get("channel_id") or ref_channel),
                **({"guild_id": str(msg.guild_id)} if msg.guild_id else {}),
            }
            payload["referenced_message"] = (
                self.message_payload(referenced, with_reference=False) if referenced else None
            )
        return payload

    # --- resolved data (selects, context menus) --------------------------------------------------------------------

    def _resolved(self, kind: int, ids: list[int], channel_id: int) -> dict[str, Any]:
        channel = self.channels[channel_id]
        guild = self.guilds.get(channel.guild_id or 0)
        if kind == COMPONENT_CHANNEL_SELECT:
            chans = {}
            for cid in ids:
                target = self.channels[cid]
                entry = self.channel_payload(target)
                entry.pop("permission_overwrites", None)
                entry["permissions"] = str(self.permissions_in(target, self.bot.id))
                chans[str(cid)] = entry
            return {"channels": chans}
        role_ids = [i for i in ids if guild is not None and i in guild.roles]
        user_ids = [i for i in ids if i not in role_ids]
        resolved: dict[str, Any] = {}
        if kind in (COMPONENT_ROLE_SELECT, COMPONENT_MENTIONABLE_SELECT) and guild is not None:
            resolved["roles"] = {str(r): guild.roles[r].to_payload() for r in role_ids}
        if kind in (COMPONENT_USER_SELECT, COMPONENT_MENTIONABLE_SELECT) and user_ids:
            resolved.update(self._resolved_users(user_ids, channel_id))
        return resolved

    def _resolved_users(self, user_ids: list[int], channel_id: int) -> dict[str, Any]:
        channel = self.channels[channel_id]
        guild = self.guilds.get(channel.guild_id or 0)
        resolved: dict[str, Any] = {"users": {str(u): self.users[u].to_payload() for u in user_ids}}
        if guild is not None:
            resolved["members"] = {
                str(u): self.member_payload(guild, u, channel=channel, user=False)
                for u in user_ids
                if u in guild.members
            }
        return resolved
