"""The REST half of the double: aiohttp handlers for the Discord HTTP API routes a bot uses.

One module per concept: ``base`` (middleware, auth, faults, lookups), ``bodies`` (parsing,
limits, create/edit), ``messages`` (channel messages, reactions), ``interactions``
(commands, callback, webhooks), ``resources`` (users, gateway, guilds, channels, CDN).
:class:`RestApi` is all of them; subclass it to intercept a route (``double.rest = ...``
before ``start()``), as ``tests/faults/support.py`` does.
"""

from __future__ import annotations

from aiohttp import web

from .common import API_PREFIX, ApiError, json_response
from .interactions import InteractionRoutes
from .messages import MessageRoutes
from .resources import ResourceRoutes


class RestApi(MessageRoutes, InteractionRoutes, ResourceRoutes):
    """Route table and handlers. State lives on the :class:`DiscordDouble`."""

    def add_routes(self, app: web.Application) -> None:
        p = API_PREFIX
        r = app.router
        r.add_get(f"{p}/users/@me", self.get_me)
        r.add_post(f"{p}/users/@me/channels", self.create_dm)
        r.add_get(f"{p}/users/{{user_id}}", self.get_user)
        r.add_get(f"{p}/oauth2/applications/@me", self.get_application)
        r.add_get(f"{p}/gateway", self.get_gateway)
        r.add_get(f"{p}/gateway/bot", self.get_gateway_bot)
        r.add_get(f"{p}/guilds/{{guild_id}}", self.get_guild)
        r.add_get(f"{p}/guilds/{{guild_id}}/members/{{user_id}}", self.get_member)
        r.add_get(f"{p}/channels/{{channel_id}}", self.get_channel)
        r.add_post(f"{p}/channels/{{channel_id}}/typing", self.typing)
        r.add_get(f"{p}/channels/{{channel_id}}/messages", self.list_messages)
        r.add_post(f"{p}/channels/{{channel_id}}/messages", self.create_message)
        msg = f"{p}/channels/{{channel_id}}/messages/{{message_id}}"
        r.add_get(msg, self.get_message)
        r.add_patch(msg, self.edit_message)
        r.add_delete(msg, self.delete_message)
        reactions = f"{msg}/reactions"
        r.add_delete(reactions, self.clear_reactions)
        r.add_get(f"{reactions}/{{emoji}}", self.list_reactors)
        r.add_delete(f"{reactions}/{{emoji}}", self.clear_reactions)
        r.add_put(f"{reactions}/{{emoji}}/@me", self.add_reaction)
        r.add_delete(f"{reactions}/{{emoji}}/@me", self.remove_own_reaction)
        r.add_delete(f"{reactions}/{{emoji}}/{{user_id}}", self.remove_user_reaction)
        cmds = f"{p}/applications/{{app_id}}"
        r.add_get(f"{cmds}/commands", self.get_commands)
        r.add_put(f"{cmds}/commands", self.put_commands)
        r.add_get(f"{cmds}/guilds/{{guild_id}}/commands", self.get_commands)
        r.add_put(f"{cmds}/guilds/{{guild_id}}/commands", self.put_commands)
        r.add_post(f"{p}/interactions/{{interaction_id}}/{{token}}/callback", self.callback)
        hook = f"{p}/webhooks/{{app_id}}/{{token}}"
        r.add_post(hook, self.followup)
        r.add_get(f"{hook}/messages/{{message_id}}", self.get_webhook_message)
        r.add_patch(f"{hook}/messages/{{message_id}}", self.edit_webhook_message)
        r.add_delete(f"{hook}/messages/{{message_id}}", self.delete_webhook_message)
        r.add_get("/attachments/{channel_id}/{message_id}/{filename}", self.get_attachment)


__all__ = ["API_PREFIX", "ApiError", "RestApi", "json_response"]
