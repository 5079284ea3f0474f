"""Injection: what users do (post, react) and what the network does (drops, invalidations)."""

from __future__ import annotations

import hashlib
import mimetypes
import time
from collections.abc import Sequence
from typing import Any

from .interactions import Interactions
from .records import StoredAttachment, StoredMessage


class Injection(Interactions):
    async def send_user_message(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        attachments: Sequence[tuple[str, bytes]] = (),
        reply_to: int | None = None,
        embeds: Sequence[dict[str, Any]] = (),
        flags: int = 0,
    ) -> dict[str, Any]:
        """A user posts ``content`` in ``channel_id`` (a channel, thread or DM): stored, then
        dispatched as MESSAGE_CREATE (on the owning shard, if the bot can see the channel).

        ``attachments`` are (filename, bytes) pairs, served back like the bot's uploads;
        ``embeds`` are Discord embed objects (e.g. the link previews Discord generates:
        ``{"type": "rich", "url": ..., "video": {"url": ...}}``); ``reply_to`` adds a
        ``message_reference`` (and ``referenced_message``). Returns the message payload. If
        the socket is down (e.g. after ``drop_connection``) the dispatch waits in the session
        backlog and is replayed on RESUME.
        """
        self._require_session()
        channel = self.channels[channel_id]
        if channel.guild_id is not None and author_id not in self.guilds[channel.guild_id].members:
            raise ValueError(f"user {author_id} is not a member of guild {channel.guild_id}")
        message_id = self.snowflake()
        stored: list[StoredAttachment] = []
        for filename, data in attachments:
            path = self.storage_dir / f"user-{message_id}-{len(stored)}"
            path.write_bytes(data)
            stored.append(
                StoredAttachment(
                    id=self.snowflake(),
                    filename=filename,
                    size=len(data),
                    content_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
                    declared_content_type=None,
                    path=path,
                    sha256=hashlib.sha256(data).hexdigest(),
                    url=self.attachment_url(channel_id, message_id, filename),
                )
            )
        reference = None
        if reply_to:
            ref_channel = self._messages[reply_to].channel_id if reply_to in self._messages else 0
            reference = {"message_id": reply_to, "channel_id": ref_channel or channel_id}
        msg = StoredMessage(
            id=message_id,
            channel_id=channel_id,
            guild_id=channel.guild_id,
            author_id=author_id,
            content=content,
            created_at=time.time(),
            created_monotonic=time.monotonic(),
            attachments=stored,
            embeds=[dict(e) for e in embeds],
            flags=flags,
            reference=reference,
        )
        await self._store_message(msg)
        return self.message_payload(msg)

    async def react(self, message_id: int, user_id: int, emoji: str) -> bool:
        """A user adds a reaction (``"👍"`` or ``"name:id"``): MESSAGE_REACTION_ADD.
        False if they already had it."""
        added = self._add_reaction(self._messages[message_id], emoji, user_id)
        await self._flush()
        return added

    async def unreact(self, message_id: int, user_id: int, emoji: str) -> bool:
        """A user takes a reaction back: MESSAGE_REACTION_REMOVE. False if there was none."""
        removed = self._remove_reaction(self._messages[message_id], emoji, user_id)
        await self._flush()
        return removed

    async def delete_user_message(self, message_id: int) -> None:
        """The author deletes their message: MESSAGE_DELETE."""
        msg = self._messages[message_id]
        await self._delete_message(msg, by=msg.author_id)

    async def drop_connection(self, code: int = 4000, *, shard_id: int | None = None) -> int:
        """Close the gateway socket(s) — all, or one shard's — with ``code`` (4000:
        resumable), as a network drop would.

        discord.py then reconnects and RESUMEs; wait with
        ``await double.wait_for_gateway(after=epoch)`` where ``epoch = double.gateway_epoch``
        was read before the drop. Returns the number of sockets closed.
        """
        return await self.gateway.drop(code, shard_id=shard_id)

    async def invalidate_session(
        self, *, resumable: bool = False, shard_id: int | None = None
    ) -> None:
        """Send INVALID_SESSION; with ``resumable=False`` the client must IDENTIFY again."""
        await self.gateway.invalidate(resumable, shard_id=shard_id)
