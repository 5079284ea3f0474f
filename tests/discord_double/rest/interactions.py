"""Application commands and the interaction routes: the callback, follow-ups and the
``@original``/``{id}`` webhook messages, under the interaction's own rules (its
``attachment_size_limit`` per file, 10 files, a token that expires)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from ..constants import (
    COMMAND_CHAT_INPUT,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    MESSAGE_CHAT_INPUT_COMMAND,
    MESSAGE_CONTEXT_MENU_COMMAND,
)
from ..records import Interaction, StoredMessage
from .bodies import BodyMixin
from .common import ApiError, json_body, json_response, snowflake

_TRUE = ("1", "true", "True")


class InteractionRoutes(BodyMixin):
    # --- application commands -------------------------------------------------------------

    async def get_commands(self, request: web.Request) -> web.Response:
        guild_id = request.match_info.get("guild_id")
        key = snowflake(guild_id) if guild_id else None
        return json_response(self.double.commands.get(key, []))

    async def put_commands(self, request: web.Request) -> web.Response:
        """Bulk overwrite (what ``CommandTree.sync`` calls): echo the commands with ids.
        ``integration_types`` and ``contexts`` (user installs) are kept as sent."""
        guild_id = request.match_info.get("guild_id")
        key = snowflake(guild_id) if guild_id else None
        existing = {(c["name"], c["type"]): c["id"] for c in self.double.commands.get(key, [])}
        commands = []
        for spec in await json_body(request):
            kind = int(spec.get("type") or COMMAND_CHAT_INPUT)
            cmd = {
                "description": "",
                "default_member_permissions": None,
                "nsfw": False,
                "options": [],
                **spec,
                "type": kind,
                "id": existing.get((spec["name"], kind)) or str(self.double.snowflake()),
                "application_id": str(self.double.application_id),
                "version": str(self.double.snowflake()),
            }
            if key is not None:
                cmd["guild_id"] = str(key)
            commands.append(cmd)
        self.double.commands[key] = commands
        return json_response(commands)

    # --- the callback ---------------------------------------------------------------------

    def _callback_interaction(self, request: web.Request) -> Interaction:
        double = self.double
        interaction = double.interactions.get(snowflake(request.match_info["interaction_id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        late = double.callback_deadline is not None and (
            time.monotonic() - interaction.created_monotonic > double.callback_deadline
        )
        if late or interaction.expired:
            raise ApiError(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        return interaction

    def _response_extra(self, interaction: Interaction) -> dict[str, Any]:
        data = interaction.payload.get("data") or {}
        context_menu = interaction.type == 2 and int(data.get("type", 1)) != COMMAND_CHAT_INPUT
        return {
            "webhook_id": self.double.application_id,
            "interaction_id": interaction.id,
            "type": MESSAGE_CONTEXT_MENU_COMMAND if context_menu else MESSAGE_CHAT_INPUT_COMMAND,
        }

    async def callback(self, request: web.Request) -> web.Response:
        interaction = self._callback_interaction(request)
        double = self.double
        channel = double.channels[interaction.channel_id]
        limit = double.interaction_limit(interaction)
        body = await self._message_body(request, channel, limit)
        kind = int(body.payload.get("type", 0))
        data = body.payload.get("data") or {}
        msg: StoredMessage | None = None
        extra = self._response_extra(interaction)
        if kind == 4:  # CHANNEL_MESSAGE_WITH_SOURCE
            msg = await self._create(request, channel, body=body, payload=data, **extra)
            interaction.original_message_id = msg.id
        elif kind == 5:  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: a "thinking..." placeholder
            flags = int(data.get("flags") or 0) | FLAG_LOADING
            placeholder = {"content": "", "flags": flags}
            msg = await self._create(
                request, channel, body=body, payload=placeholder, allow_empty=True, **extra
            )
            interaction.original_message_id = msg.id
        elif kind in (6, 7) and interaction.message_id is not None:  # component updates
            msg = double._messages[interaction.message_id]
            interaction.original_message_id = msg.id
            if kind == 7:
                msg = await self._edit(request, msg, payload=data, body=body)
        else:
            body.discard()  # 9 (MODAL) and the rest: recorded in `callbacks` only
        interaction.callbacks.append(body.payload)  # only an accepted callback acknowledges
        double._notify()
        if request.query.get("with_response") not in _TRUE:
            return web.Response(status=204)
        result: dict[str, Any] = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(msg and msg.flags & FLAG_EPHEMERAL),
            },
            "resource": {"type": kind},
        }
        if msg is not None:
            result["interaction"]["response_message_id"] = str(msg.id)
            result["resource"]["message"] = double.message_payload(msg)
        return json_response(result)

    # --- webhooks -------------------------------------------------------------------------

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request.match_info["app_id"], request.match_info["token"])
        if not interaction.callbacks:
            raise ApiError(404, 10015, "Unknown Webhook")  # no follow-up before the response
        channel = self.double.channels[interaction.channel_id]
        msg = await self._create(
            request,
            channel,
            limit=self.double.interaction_limit(interaction),
            webhook_id=self.double.application_id,
            interaction_id=interaction.id,
        )
        interaction.followup_ids.append(msg.id)
        if request.query.get("wait") in _TRUE:
            return json_response(self.double.message_payload(msg))
        return web.Response(status=204)

    def _webhook_message(self, request: web.Request) -> tuple[Interaction, StoredMessage]:
        interaction = self._interaction(request.match_info["app_id"], request.match_info["token"])
        raw = request.match_info["message_id"]
        message_id = interaction.original_message_id if raw == "@original" else snowflake(raw)
        msg = self.double._messages.get(message_id or 0)
        if msg is None or msg.deleted or msg.channel_id != interaction.channel_id:
            raise ApiError(404, 10008, "Unknown Message")
        return interaction, msg

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        _, msg = self._webhook_message(request)
        return json_response(self.double.message_payload(msg))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        interaction, msg = self._webhook_message(request)
        limit = self.double.interaction_limit(interaction)
        msg = await self._edit(request, msg, limit=limit)
        return json_response(self.double.message_payload(msg))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        _, msg = self._webhook_message(request)
        await self.double._delete_message(msg, by=self.double.bot.id)
        return web.Response(status=204)
