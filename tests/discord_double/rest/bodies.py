"""Message bodies: JSON or multipart parsing (uploads streamed to disk), Discord's limits,
and the create/edit logic every message route shares (channel posts, interaction
responses, follow-ups)."""

from __future__ import annotations

import hashlib
import mimetypes
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from ..constants import (
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    MAX_ATTACHMENTS,
    MAX_CONTENT_LENGTH,
    MAX_EMBEDS,
)
from ..models import Channel
from ..records import StoredAttachment, StoredMessage
from .base import RestBase
from .common import ApiError, invalid_form, json_body, normalise_reference, parse_json

_FILES_FIELD = re.compile(r"files\[(\d+)\]")
_CHUNK = 1 << 20


@dataclass
class Upload:
    """One ``files[n]`` part, already streamed to disk (or discarded if over the limit)."""

    index: int
    filename: str
    declared_content_type: str | None
    path: Path
    size: int
    sha256: str
    too_large: bool


@dataclass
class MessageBody:
    payload: dict[str, Any]
    uploads: list[Upload]

    def discard(self) -> None:
        for up in self.uploads:
            up.path.unlink(missing_ok=True)


class BodyMixin(RestBase):
    async def _read_body(self, request: web.Request, file_limit: int) -> MessageBody:
        """Parse a JSON or multipart body; stream ``files[n]`` parts to disk.

        Over-limit files are read to the end (and discarded) before the 413, like Discord
        reading the whole upload before judging it.
        """
        if request.content_type != "multipart/form-data":
            return MessageBody(await json_body(request), [])
        body = MessageBody({}, [])
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue  # nested multipart: Discord does not accept it either
            name = part.name or ""
            if name == "payload_json":
                body.payload = parse_json(await part.text())
            elif part.filename is not None or _FILES_FIELD.fullmatch(name):
                match = _FILES_FIELD.fullmatch(name)
                index = int(match.group(1)) if match else len(body.uploads)
                body.uploads.append(await self._stream_upload(part, index, file_limit))
            else:
                body.payload[name] = await part.text()  # plain form fields, e.g. "content"
        return body

    async def _stream_upload(self, part: BodyPartReader, index: int, limit: int) -> Upload:
        dest = self.double.storage_dir / f"upload-{uuid.uuid4().hex}"
        digest = hashlib.sha256()
        size = 0
        # Blocking writes are fine here: <=1 MiB chunks to local disk, faster than a thread hop.
        with dest.open("wb") as fh:
            while chunk := await part.read_chunk(_CHUNK):
                size += len(chunk)
                if size <= limit:
                    fh.write(chunk)
                    digest.update(chunk)
        too_large = size > limit
        if too_large:
            dest.unlink()
        return Upload(
            index=index,
            filename=part.filename or f"file{index}",
            declared_content_type=part.headers.get("Content-Type"),
            path=dest,
            size=size,
            sha256=digest.hexdigest(),
            too_large=too_large,
        )

    def _validate(self, payload: dict[str, Any], attachment_count: int) -> None:
        content = payload.get("content")
        if content is not None and len(str(content)) > MAX_CONTENT_LENGTH:
            raise invalid_form(
                "content",
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_CONTENT_LENGTH} or fewer in length.",
            )
        if len(payload.get("embeds") or []) > MAX_EMBEDS:
            raise invalid_form(
                "embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length."
            )
        if attachment_count > MAX_ATTACHMENTS:
            raise invalid_form(
                "attachments",
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_ATTACHMENTS} or fewer in length.",
            )

    async def _message_body(
        self, request: web.Request, channel: Channel, limit: int | None = None
    ) -> MessageBody:
        """Read + check a message body against a per-file limit (the channel's unless given,
        e.g. an interaction's ``attachment_size_limit``): 413 / 40005 like Discord."""
        if limit is None:
            limit = self.double.file_limit_for(channel.id)
        body = await self._read_body(request, limit)
        if any(up.too_large for up in body.uploads):
            body.discard()
            raise ApiError(413, 40005, "Request entity too large")
        return body

    def _attachments_from(
        self, body: MessageBody, channel_id: int, message_id: int
    ) -> list[StoredAttachment]:
        meta = {
            str(entry.get("id")): entry
            for entry in body.payload.get("attachments") or []
            if isinstance(entry, dict)
        }
        stored = []
        for up in body.uploads:
            entry = meta.get(str(up.index), {})
            filename = entry.get("filename") or up.filename
            stored.append(
                StoredAttachment(
                    id=self.double.snowflake(),
                    filename=filename,
                    size=up.size,
                    content_type=mimetypes.guess_type(filename)[0]
                    or up.declared_content_type
                    or "application/octet-stream",
                    declared_content_type=up.declared_content_type,
                    path=up.path,
                    sha256=up.sha256,
                    url=self.double.attachment_url(channel_id, message_id, filename),
                    description=entry.get("description"),
                )
            )
        return stored

    async def _create(
        self,
        request: web.Request,
        channel: Channel,
        *,
        body: MessageBody | None = None,
        payload: dict[str, Any] | None = None,
        allow_empty: bool = False,
        limit: int | None = None,
        **extra: Any,
    ) -> StoredMessage:
        """Validate and store a message from the bot (channel post, interaction, followup).
        An ephemeral interaction message (flags 64) is recorded as seen by its user only."""
        body = body or await self._message_body(request, channel, limit)
        payload = body.payload if payload is None else payload
        try:
            self._validate(payload, len(body.uploads))
            content = str(payload.get("content") or "")
            has_components = bool(payload.get("components"))
            has_anything = content or body.uploads or payload.get("embeds") or has_components
            if not (has_anything or allow_empty):
                raise ApiError(400, 50006, "Cannot send an empty message")
        except ApiError:
            body.discard()
            raise
        # enforce_nonce: a retried POST with the same nonce returns the first message.
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce"):
            for existing in self.double.messages(channel.id):
                if existing.nonce == str(nonce) and existing.author_id == self.double.bot.id:
                    body.discard()
                    return existing
        flags = int(payload.get("flags") or 0)
        interaction_id = extra.get("interaction_id")
        if flags & FLAG_EPHEMERAL and interaction_id is not None:
            extra["ephemeral_to"] = self.double.interactions[interaction_id].user_id
        message_id = self.double.snowflake()
        msg = StoredMessage(
            id=message_id,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=self.double.bot.id,
            content=content,
            created_at=time.time(),
            created_monotonic=time.monotonic(),
            attachments=self._attachments_from(body, channel.id, message_id),
            embeds=list(payload.get("embeds") or []),
            components=list(payload.get("components") or []),
            flags=flags,
            nonce=str(nonce) if nonce is not None else None,
            reference=normalise_reference(payload.get("message_reference")),
            payload=payload,
            **extra,
        )
        await self.double._store_message(msg)
        return msg

    async def _edit(
        self,
        request: web.Request,
        msg: StoredMessage,
        *,
        payload: dict[str, Any] | None = None,
        body: MessageBody | None = None,
        limit: int | None = None,
    ) -> StoredMessage:
        """Apply a PATCH. ``attachments`` in the payload lists what remains (API v10 rule)."""
        channel = self.double.channels[msg.channel_id]
        body = body or await self._message_body(request, channel, limit)
        payload = body.payload if payload is None else payload
        new = self._attachments_from(body, msg.channel_id, msg.id)
        if "attachments" in payload:
            keep_ids = {str(a.get("id")) for a in payload["attachments"] or []}
            kept = [a for a in msg.attachments if str(a.id) in keep_ids]
        else:
            kept = list(msg.attachments)
        try:
            self._validate(payload, len(kept) + len(new))
        except ApiError:
            body.discard()
            raise
        if "content" in payload:
            msg.content = str(payload["content"] or "")
        if "embeds" in payload:
            msg.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            msg.components = list(payload["components"] or [])
        if "flags" in payload and payload["flags"] is not None:
            msg.flags = int(payload["flags"]) | (msg.flags & FLAG_EPHEMERAL)
        msg.flags &= ~FLAG_LOADING  # an edit ends the "thinking..." state
        msg.attachments = kept + new
        await self.double._record_edit(msg, payload)
        return msg
