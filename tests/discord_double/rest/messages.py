"""Channel message routes: list, post, fetch, edit (own, or another author's flags), delete,
reactions and typing, with Discord's permission rules."""

from __future__ import annotations

import time

from aiohttp import web

from ..constants import (
    ADD_REACTIONS,
    ATTACH_FILES,
    FLAG_SUPPRESS_EMBEDS,
    MANAGE_MESSAGES,
    MAX_REACTIONS,
    READ_MESSAGE_HISTORY,
    VIEW_CHANNEL,
)
from ..models import Channel
from ..records import StoredMessage
from .bodies import BodyMixin
from .common import ApiError, json_response, snowflake

#: What a PATCH of someone else's message may not touch (discord.py's ``edit(suppress=True)``
#: sends ``{"tts": false, "flags": 4}``: only these keys make it a content edit).
_AUTHOR_ONLY = frozenset(
    {"content", "embeds", "embed", "attachments", "components", "sticker_ids", "poll"}
)


class MessageRoutes(BodyMixin):
    async def typing(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self.double.typing.append((channel.id, time.monotonic()))
        return web.Response(status=204)

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require_permissions(channel, VIEW_CHANNEL)
        if channel.guild_id is not None and not (
            self.double.permissions_in(channel, self.double.bot.id) & READ_MESSAGE_HISTORY
        ):
            return json_response([])  # Discord: no history permission, no history
        q = request.query
        limit = min(int(q.get("limit", 50)), 100)
        msgs = self.double.public_messages(channel.id)
        if "before" in q:
            msgs = [m for m in msgs if m.id < snowflake(q["before"])]
        if "after" in q:
            msgs = [m for m in msgs if m.id > snowflake(q["after"])]
            msgs = msgs[:limit]  # oldest first past `after`, returned newest first
        else:
            msgs = msgs[-limit:]
        return json_response([self.double.message_payload(m) for m in reversed(msgs)])

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require_permissions(channel, VIEW_CHANNEL | self._send_permission(channel))
        if channel.is_dm and not self.double.users[channel.recipient_id or 0].accepts_dms:
            raise ApiError(403, 50007, "Cannot send messages to this user")
        body = await self._message_body(request, channel)
        try:
            if body.uploads:
                self._require_permissions(channel, ATTACH_FILES)
            if body.payload.get("message_reference"):
                self._require_permissions(channel, READ_MESSAGE_HISTORY)
        except ApiError:
            body.discard()
            raise
        msg = await self._create(request, channel, body=body)
        return json_response(self.double.message_payload(msg))

    async def get_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require_permissions(channel, VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        msg = self._message(channel, request.match_info["message_id"])
        return json_response(self.double.message_payload(msg))

    async def edit_message(self, request: web.Request) -> web.Response:
        """The bot edits its own message freely; of another author's message it may only
        change SUPPRESS_EMBEDS, with MANAGE_MESSAGES (else 50013); anything else is 50005."""
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        if msg.author_id == self.double.bot.id:
            msg = await self._edit(request, msg)
            return json_response(self.double.message_payload(msg))
        body = await self._message_body(request, channel)
        body.discard()
        if body.uploads or _AUTHOR_ONLY & set(body.payload):
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        if body.payload.get("flags") is not None:
            self._require_permissions(channel, MANAGE_MESSAGES)
            wanted = int(body.payload["flags"]) & FLAG_SUPPRESS_EMBEDS
            flags = (msg.flags & ~FLAG_SUPPRESS_EMBEDS) | wanted
            if flags != msg.flags:
                await self.double._record_flags(msg, self.double.bot.id, flags)
        return json_response(self.double.message_payload(msg))

    async def delete_message(self, request: web.Request) -> web.Response:
        """Own messages always; another author's needs MANAGE_MESSAGES (never in a DM)."""
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        if msg.author_id != self.double.bot.id:
            self._moderate(channel)
        await self.double._delete_message(msg, by=self.double.bot.id)
        return web.Response(status=204)

    def _moderate(self, channel: Channel) -> None:
        """Acting on other people's messages or reactions: MANAGE_MESSAGES, not in DMs."""
        if channel.guild_id is None:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        self._require_permissions(channel, VIEW_CHANNEL | MANAGE_MESSAGES)

    # --- reactions ------------------------------------------------------------------------

    def _reaction_target(self, request: web.Request) -> tuple[Channel, StoredMessage, str]:
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        return channel, msg, normalise_emoji(request.match_info["emoji"])

    async def add_reaction(self, request: web.Request) -> web.Response:
        """READ_MESSAGE_HISTORY always; ADD_REACTIONS only for an emoji not yet on the
        message (joining an existing reaction needs none, as on Discord)."""
        channel, msg, emoji = self._reaction_target(request)
        current = msg.reactors()
        needed = VIEW_CHANNEL | READ_MESSAGE_HISTORY
        if emoji not in current:
            needed |= ADD_REACTIONS
            if len(current) >= MAX_REACTIONS:
                raise ApiError(400, 30010, f"Maximum number of reactions reached ({MAX_REACTIONS})")
        self._require_permissions(channel, needed)
        self.double._add_reaction(msg, emoji, self.double.bot.id)
        return web.Response(status=204)

    async def remove_own_reaction(self, request: web.Request) -> web.Response:
        _, msg, emoji = self._reaction_target(request)
        self.double._remove_reaction(msg, emoji, self.double.bot.id)
        return web.Response(status=204)

    async def remove_user_reaction(self, request: web.Request) -> web.Response:
        channel, msg, emoji = self._reaction_target(request)
        user_id = snowflake(request.match_info["user_id"])
        if user_id != self.double.bot.id:
            self._moderate(channel)
        self.double._remove_reaction(msg, emoji, user_id, by=self.double.bot.id)
        return web.Response(status=204)

    async def list_reactors(self, request: web.Request) -> web.Response:
        channel, msg, emoji = self._reaction_target(request)
        self._require_permissions(channel, VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        users = msg.reactors().get(emoji, [])
        return json_response([self.double.users[u].to_payload() for u in users])

    async def clear_reactions(self, request: web.Request) -> web.Response:
        """DELETE all reactions (or all of one emoji): MANAGE_MESSAGES."""
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        self._moderate(channel)
        raw = request.match_info.get("emoji")
        only = normalise_emoji(raw) if raw is not None else None
        for emoji, users in msg.reactors().items():
            if only is None or emoji == only:
                for user_id in users:
                    self.double._remove_reaction(msg, emoji, user_id, by=self.double.bot.id)
        return web.Response(status=204)


def normalise_emoji(raw: str) -> str:
    """``"⏳"`` stays; a custom emoji becomes ``"name:id"``. discord.py sends a custom emoji
    given as the string ``"<:name:id>"`` as ``":name:id"`` (it strips ``<>`` only), and an
    animated one as ``"a:name:id"``; Discord accepts all of these."""
    parts = raw.strip("<>").split(":")
    if len(parts) >= 2 and parts[-1].isdigit():
        return f"{parts[-2]}:{parts[-1]}"
    return raw
