"""Inspection: what the bot posted, edited, reacted, deleted, requested and was sent; waits."""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
from collections.abc import Callable
from typing import Any

from .injection import Injection
from .records import ReactionEvent, RequestRecord, StoredAttachment, StoredMessage
from .rest import API_PREFIX


class Inspection(Injection):
    def messages(
        self,
        channel_id: int,
        *,
        include_deleted: bool = False,
        include_ephemeral: bool = True,
    ) -> list[StoredMessage]:
        """Messages in ``channel_id`` (user and bot), in creation order. Ephemeral ones are
        included unless ``include_ephemeral=False`` (see :meth:`visible_messages`)."""
        msgs = [self._messages[i] for i in self._channel_messages.get(channel_id, [])]
        return [
            m
            for m in msgs
            if (include_deleted or not m.deleted) and (include_ephemeral or m.ephemeral_to is None)
        ]

    def public_messages(self, channel_id: int) -> list[StoredMessage]:
        """What everyone in the channel sees: live messages that are not ephemeral."""
        return self.messages(channel_id, include_ephemeral=False)

    def visible_messages(self, channel_id: int, user_id: int) -> list[StoredMessage]:
        """What ``user_id`` sees in the channel: public messages plus the ephemeral ones
        addressed to them."""
        return [m for m in self.messages(channel_id) if m.ephemeral_to in (None, user_id)]

    def ephemeral_messages(
        self, user_id: int, channel_id: int | None = None
    ) -> list[StoredMessage]:
        """Live ephemeral messages shown to ``user_id`` (in one channel, or anywhere)."""
        return [
            m
            for m in self._messages.values()
            if m.ephemeral_to == user_id
            and not m.deleted
            and (channel_id is None or m.channel_id == channel_id)
        ]

    def bot_messages(
        self, channel_id: int, *, include_ephemeral: bool = True
    ) -> list[StoredMessage]:
        return [
            m
            for m in self.messages(channel_id, include_ephemeral=include_ephemeral)
            if m.author_id == self.bot.id
        ]

    def message(self, message_id: int) -> StoredMessage:
        return self._messages[message_id]

    def deleted_messages(self, channel_id: int) -> list[StoredMessage]:
        """Deleted messages of the channel (``deleted_by``/``deleted_at`` say who and when)."""
        return [m for m in self.messages(channel_id, include_deleted=True) if m.deleted]

    def attachments(self, channel_id: int) -> list[StoredAttachment]:
        """Every attachment currently on a live message in the channel, in order."""
        return [a for m in self.messages(channel_id) for a in m.attachments]

    def reactions(self, message_id: int, *, user_id: int | None = None) -> list[str]:
        """Emojis currently on a message (by anyone, or by ``user_id``; the bot:
        ``user_id=double.bot.id``), in first-reaction order."""
        current = self._messages[message_id].reactors()
        return [e for e, users in current.items() if user_id is None or user_id in users]

    def reaction_events(self, message_id: int) -> list[ReactionEvent]:
        """Every reaction added and removed on a message: who, what, when."""
        return list(self._messages[message_id].reaction_events)

    def requests_to(self, method: str, path_glob: str) -> list[RequestRecord]:
        """Logged requests matching ``method`` ("*" = any) and a glob on the API sub-path."""
        return [
            r
            for r in self.requests
            if method in ("*", r.method)
            and fnmatch.fnmatchcase(r.path.removeprefix(API_PREFIX), path_glob)
        ]

    def dispatched(self, event: str | None = None, *, shard_id: int | None = None) -> list[Any]:
        """Gateway dispatches queued to sockets (:class:`DispatchRecord`), optionally of one
        ``event`` and one shard: which connection received which events."""
        return self.gateway.dispatched(event, shard_id=shard_id)

    @property
    def gateway_epoch(self) -> int:
        """Increments each time a gateway session becomes live (ready or resumed)."""
        return self.gateway.epoch

    async def wait_until(
        self, predicate: Callable[[], Any], timeout: float = 5.0, *, poll: float | None = None
    ) -> Any:
        """Wait (bounded) until ``predicate()`` is truthy; re-checked on every state change of
        the double, and every ``poll`` seconds if given (for predicates on the bot's state,
        which the double cannot see change)."""
        async with asyncio.timeout(timeout):
            while not (result := predicate()):
                if poll is None:
                    await self._changed.wait()
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), poll)
            return result

    async def wait_for_gateway(
        self, after: int = 0, timeout: float = 5.0, *, shards: int = 1
    ) -> None:
        """Wait until a session went live after epoch ``after`` (0: the first READY); with
        ``shards=n``, until ``n`` distinct shards have live connections."""
        await self.wait_until(
            lambda: self.gateway.epoch > after and len(self.gateway.live_shards()) >= shards,
            timeout,
        )

    async def wait_for_message(
        self,
        channel_id: int,
        predicate: Callable[[StoredMessage], bool] | None = None,
        *,
        author_id: int | None = None,
        timeout: float = 5.0,
    ) -> StoredMessage:
        """The first message in the channel (by default from the bot) matching ``predicate``."""
        author = self.bot.id if author_id is None else author_id

        def find() -> StoredMessage | None:
            for msg in self.messages(channel_id):
                if msg.author_id == author and (predicate is None or predicate(msg)):
                    return msg
            return None

        return await self.wait_until(find, timeout)
