"""Users, the application, the gateway, guilds, channels, DMs, the CDN, and the 501 for
everything the double does not implement."""

from __future__ import annotations

import math
import time

from aiohttp import web

from ..models import Guild
from ..records import UnknownRoute
from .base import RestBase
from .common import ApiError, is_webhook_path, json_body, json_response, missing_access, snowflake


class ResourceRoutes(RestBase):
    # --- users, application, gateway ------------------------------------------------------

    async def get_me(self, request: web.Request) -> web.Response:
        data = self.double.bot.to_payload()
        data.update({"verified": True, "mfa_enabled": False, "flags": 0, "email": None})
        return json_response(data)

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.double.users.get(snowflake(request.match_info["user_id"]))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return json_response(user.to_payload())

    async def create_dm(self, request: web.Request) -> web.Response:
        """Open (or return) the bot's DM with a user; whether messages may then be sent
        there is the user's business (``accepts_dms``), as on Discord."""
        data = await json_body(request)
        user_id = snowflake(str(data.get("recipient_id")))
        if user_id not in self.double.users:
            raise ApiError(404, 10013, "Unknown User")
        return json_response(self.double.channel_payload(self.double.dm_channel(user_id)))

    async def get_application(self, request: web.Request) -> web.Response:
        return json_response(self.double.application_payload())

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.double.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        """AutoShardedClient without a ``shard_count`` asks here, then connects to *this* url
        with that many shards."""
        shards = self.double.recommended_shards
        if shards is None:
            shards = max(1, math.ceil(len(self.double.bot_guilds()) / 1000))
        return json_response(
            {
                "url": self.double.gateway_url,
                "shards": shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    # --- guilds and channels --------------------------------------------------------------

    def _guild(self, request: web.Request) -> Guild:
        guild = self.double.guilds.get(snowflake(request.match_info["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        if self.double.bot.id not in guild.members:
            raise missing_access()
        return guild

    async def get_guild(self, request: web.Request) -> web.Response:
        data = self.double.guild_create_payload(self._guild(request))
        for key in ("channels", "members", "threads", "presences", "voice_states"):
            data.pop(key, None)  # GET /guilds/{id} has none of the gateway-only lists
        return json_response(data)

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = guild.members.get(snowflake(request.match_info["user_id"]))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return json_response(member.to_payload(self.double.users[member.user_id]))

    async def get_channel(self, request: web.Request) -> web.Response:
        return json_response(self.double.channel_payload(self._channel(request)))

    # --- CDN and the rest -----------------------------------------------------------------

    async def get_attachment(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        msg = self.double._messages.get(snowflake(info["message_id"]))
        if msg is not None and msg.channel_id == snowflake(info["channel_id"]):
            for att in msg.attachments:
                if att.filename == info["filename"]:
                    return web.FileResponse(att.path, headers={"Content-Type": att.content_type})
        return web.Response(status=404, text="Not Found")

    async def unknown(self, request: web.Request) -> web.Response:
        """Anything not implemented: 501 and recorded, so gaps in the double fail loudly
        (400 on webhook paths, whose client would retry a 5xx for 25 s)."""
        self.double.unknown_routes.append(
            UnknownRoute(method=request.method, path=request.path, at=time.monotonic())
        )
        status = 400 if is_webhook_path(request.path) else 501
        raise ApiError(
            status, 0, f"Discord double: route not implemented: {request.method} {request.path}"
        )
