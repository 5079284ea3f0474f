"""Injected interactions: slash and context-menu commands, buttons, selects, modal submits.

Each builds the INTERACTION_CREATE Discord would send, including user-install contexts
(``install="user"``: ``authorizing_integration_owners`` ``{"1": user_id}``, possibly from a
guild the bot is not in or a private channel), and dispatches it on the owning shard. The
returned :class:`Interaction` collects callbacks, the original response and follow-ups.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .config import Config
from .constants import (
    COMMAND_CHAT_INPUT,
    COMMAND_MESSAGE,
    COMMAND_USER,
    COMPONENT_BUTTON,
    COMPONENT_LABEL,
    COMPONENT_STRING_SELECT,
    COMPONENT_TEXT_INPUT,
    CONTEXT_BOT_DM,
    CONTEXT_GUILD,
    CONTEXT_PRIVATE_CHANNEL,
    DM_FILE_LIMIT,
    GUILD_INSTALL,
    INTERACTION_APPLICATION_COMMAND,
    INTERACTION_COMPONENT,
    INTERACTION_MODAL_SUBMIT,
    SELECT_TYPES,
    USER_INSTALL,
    USER_INSTALL_APP_PERMISSIONS,
)
from .models import Channel, Guild
from .records import Interaction

_OPTION_TYPES: dict[type, int] = {bool: 5, int: 4, float: 10, str: 3}


def walk_components(components: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, nested ones included (action rows, labels, containers, sections)."""
    for comp in components:
        yield comp
        yield from walk_components(comp.get("components") or [])
        if isinstance(comp.get("component"), dict):
            yield from walk_components([comp["component"]])
        if isinstance(comp.get("accessory"), dict):
            yield from walk_components([comp["accessory"]])


class Interactions(Config):
    def _require_session(self) -> None:
        if not self.gateway.sessions:
            raise RuntimeError("no gateway session: the client has not identified yet")

    def _interaction_base(
        self,
        kind: int,
        channel_id: int,
        user_id: int,
        attachment_size_limit: int | None = None,
        *,
        install: str = "guild",
        app_permissions: int | None = None,
        token_ttl: float | None = None,
    ) -> tuple[Interaction, dict[str, Any]]:
        """The common part of an INTERACTION_CREATE, registered (not yet dispatched)."""
        self._require_session()
        if install not in ("guild", "user", "both"):
            raise ValueError("install must be 'guild', 'user' or 'both'")
        channel = self.channels[channel_id]
        guild = self.guilds.get(channel.guild_id or 0)
        interaction_id = self.snowflake()
        token = secrets.token_urlsafe(24)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": token,
            "version": 1,
            "channel_id": str(channel_id),
            "channel": self.interaction_channel_payload(channel, user_id),
            "locale": "en-US",
            "entitlements": [],
        }
        if guild is not None:
            context, limit = CONTEXT_GUILD, guild.advertised_file_limit
            self._guild_part(payload, guild, channel, user_id, install, app_permissions)
        else:
            context = CONTEXT_BOT_DM if channel.bot_is_recipient else CONTEXT_PRIVATE_CHANNEL
            if context == CONTEXT_PRIVATE_CHANNEL and install == "guild":
                raise ValueError("only a user-installed app is used where the bot is not")
            limit = DM_FILE_LIMIT
            owners: dict[str, str] = {}
            if install in ("guild", "both") and context == CONTEXT_BOT_DM:
                owners[GUILD_INSTALL] = "0"  # Discord's value for a guild install in a bot DM
            if install in ("user", "both"):
                owners[USER_INSTALL] = str(user_id)
            default = USER_INSTALL_APP_PERMISSIONS
            payload.update(
                user=self.users[user_id].to_payload(),
                authorizing_integration_owners=owners,
                app_permissions=str(default if app_permissions is None else app_permissions),
            )
        limit = attachment_size_limit if attachment_size_limit is not None else limit
        payload.update(context=context, attachment_size_limit=limit)
        ttl = self.interaction_token_ttl if token_ttl is None else token_ttl
        interaction = Interaction(
            id=interaction_id,
            token=token,
            type=kind,
            channel_id=channel_id,
            guild_id=channel.guild_id,
            user_id=user_id,
            payload=payload,
            attachment_size_limit=limit,
            expires_at=time.monotonic() + ttl,
            install=install,
            context=context,
        )
        self.interactions[interaction_id] = interaction
        self._interaction_by_token[token] = interaction_id
        return interaction, payload

    def _guild_part(
        self,
        payload: dict[str, Any],
        guild: Guild,
        channel: Channel,
        user_id: int,
        install: str,
        app_permissions: int | None,
    ) -> None:
        if user_id not in guild.members:
            raise ValueError(f"user {user_id} is not a member of guild {guild.id}")
        bot_in = self.bot.id in guild.members
        if install == "guild" and not bot_in:
            raise ValueError("a guild-installed app is used in a guild the bot is in")
        owners: dict[str, str] = {}
        if install in ("guild", "both"):
            owners[GUILD_INSTALL] = str(guild.id)
        if install in ("user", "both"):
            owners[USER_INSTALL] = str(user_id)
        if app_permissions is None:
            bot_perms = self.permissions_in(channel, self.bot.id)
            app_permissions = bot_perms if bot_in else USER_INSTALL_APP_PERMISSIONS
        payload.update(
            guild_id=str(guild.id),
            guild_locale="en-US",
            member=self.member_payload(guild, user_id, channel=channel),
            app_permissions=str(app_permissions),
            authorizing_integration_owners=owners,
        )
        if not bot_in:
            payload["guild"] = {"id": str(guild.id), "locale": "en-US", "features": []}

    async def _dispatch_interaction(self, payload: dict[str, Any]) -> None:
        self.gateway.dispatch_nowait("INTERACTION_CREATE", payload)
        await self._flush()

    def _command_data(self, channel_id: int, name: str, kind: int) -> dict[str, Any]:
        guild_id = self.channels[channel_id].guild_id
        local = {c["name"]: c for c in self.commands.get(guild_id, []) if guild_id is not None}
        registered = {**{c["name"]: c for c in self.commands.get(None, [])}, **local}
        data: dict[str, Any] = {
            "id": registered[name]["id"] if name in registered else str(self.snowflake()),
            "name": name,
            "type": kind,
        }
        if name in local:
            data["guild_id"] = str(guild_id)
        return data

    # --- application commands -------------------------------------------------------------

    async def inject_interaction(
        self,
        channel_id: int,
        user_id: int,
        name: str,
        options: dict[str, Any] | list[dict[str, Any]] | None = None,
        *,
        attachment_size_limit: int | None = None,
        install: str = "guild",
        app_permissions: int | None = None,
        token_ttl: float | None = None,
        resolved: dict[str, Any] | None = None,
    ) -> Interaction:
        """A user runs slash command ``/name``: dispatches INTERACTION_CREATE (type 2).

        ``options`` is ``{"url": "...", "upload": True}`` (types inferred: str, int, bool,
        float) or a raw Discord option list (for subcommands, users, attachments... with
        ``resolved``). ``attachment_size_limit`` defaults to the limit the guild's tier
        advertises (10 MiB outside guilds). ``install="user"`` makes it a user-installed
        command (works in guilds without the bot and in private channels); ``token_ttl``
        shortens the token's 15 minutes for this interaction.
        """
        if isinstance(options, dict):
            raw = [
                {"name": k, "type": _OPTION_TYPES[type(v)], "value": v} for k, v in options.items()
            ]
        else:
            raw = list(options or [])
        interaction, payload = self._interaction_base(
            INTERACTION_APPLICATION_COMMAND,
            channel_id,
            user_id,
            attachment_size_limit,
            install=install,
            app_permissions=app_permissions,
            token_ttl=token_ttl,
        )
        data = self._command_data(channel_id, name, COMMAND_CHAT_INPUT)
        data["options"] = raw
        if resolved:
            data["resolved"] = resolved
        payload["data"] = data
        await self._dispatch_interaction(payload)
        return interaction

    async def inject_message_command(
        self,
        channel_id: int,
        user_id: int,
        name: str,
        message_id: int,
        *,
        attachment_size_limit: int | None = None,
        install: str = "guild",
        app_permissions: int | None = None,
        token_ttl: float | None = None,
    ) -> Interaction:
        """A user picks Apps → ``name`` on a message: a message context-menu command
        (application command type 3, ``data.target_id``, ``resolved.messages``)."""
        target = self._messages[message_id]
        interaction, payload = self._interaction_base(
            INTERACTION_APPLICATION_COMMAND,
            channel_id,
            user_id,
            attachment_size_limit,
            install=install,
            app_permissions=app_permissions,
            token_ttl=token_ttl,
        )
        interaction.message_id = message_id
        data = self._command_data(channel_id, name, COMMAND_MESSAGE)
        data["target_id"] = str(message_id)
        data["resolved"] = {"messages": {str(message_id): self.message_payload(target)}}
        payload["data"] = data
        await self._dispatch_interaction(payload)
        return interaction

    async def inject_user_command(
        self,
        channel_id: int,
        user_id: int,
        name: str,
        target_user_id: int,
        *,
        install: str = "guild",
        token_ttl: float | None = None,
    ) -> Interaction:
        """A user picks Apps → ``name`` on a user: a user context-menu command (type 2)."""
        interaction, payload = self._interaction_base(
            INTERACTION_APPLICATION_COMMAND,
            channel_id,
            user_id,
            install=install,
            token_ttl=token_ttl,
        )
        data = self._command_data(channel_id, name, COMMAND_USER)
        data["target_id"] = str(target_user_id)
        data["resolved"] = self._resolved_users([target_user_id], channel_id)
        payload["data"] = data
        await self._dispatch_interaction(payload)
        return interaction

    # --- components -----------------------------------------------------------------------

    async def _component(
        self, message_id: int, user_id: int, data: dict[str, Any], token_ttl: float | None
    ) -> Interaction:
        msg = self._messages[message_id]
        interaction, payload = self._interaction_base(
            INTERACTION_COMPONENT,
            msg.channel_id,
            user_id,
            token_ttl=token_ttl,
            install=self._install_for(msg.channel_id, msg.interaction_id),
        )
        interaction.message_id = message_id
        payload["data"] = data
        payload["message"] = self.message_payload(msg)
        await self._dispatch_interaction(payload)
        return interaction

    def _install_for(self, channel_id: int, interaction_id: int | None) -> str:
        """A component on a message answers the way that message's interaction came."""
        if interaction_id is not None:
            return self.interactions[interaction_id].install
        return "guild" if self.bot_can_see(self.channels[channel_id]) else "user"

    async def click_button(
        self, message_id: int, custom_id: str, user_id: int, *, token_ttl: float | None = None
    ) -> Interaction:
        """A user presses the button ``custom_id`` on a message: INTERACTION_CREATE (type 3)."""
        data = {"custom_id": custom_id, "component_type": COMPONENT_BUTTON}
        return await self._component(message_id, user_id, data, token_ttl)

    def component(self, message_id: int, custom_id: str) -> dict[str, Any]:
        """The component ``custom_id`` on a stored message (nested ones included)."""
        for comp in walk_components(self._messages[message_id].components):
            if comp.get("custom_id") == custom_id:
                return comp
        raise KeyError(f"no component {custom_id!r} on message {message_id}")

    async def select(
        self,
        message_id: int,
        custom_id: str,
        user_id: int,
        values: Sequence[str | int],
        *,
        component_type: int | None = None,
        token_ttl: float | None = None,
    ) -> Interaction:
        """A user picks ``values`` in the select menu ``custom_id``: a string select (3) takes
        option values; user (5), role (6), mentionable (7) and channel (8) selects take ids
        and carry ``resolved`` data as Discord sends it. The type is read from the message
        unless given."""
        kind = component_type or int(self.component(message_id, custom_id)["type"])
        if kind not in SELECT_TYPES:
            raise ValueError(f"component {custom_id!r} is not a select menu (type {kind})")
        channel_id = self._messages[message_id].channel_id
        data: dict[str, Any] = {
            "custom_id": custom_id,
            "component_type": kind,
            "values": [str(v) for v in values],
        }
        if kind != COMPONENT_STRING_SELECT:
            data["resolved"] = self._resolved(kind, [int(v) for v in values], channel_id)
        return await self._component(message_id, user_id, data, token_ttl)

    async def submit_modal(
        self,
        source: Interaction,
        values: Mapping[str, str],
        *,
        custom_id: str | None = None,
        token_ttl: float | None = None,
    ) -> Interaction:
        """The user fills in the modal the bot opened in answer to ``source`` (callback type
        9) and submits it: INTERACTION_CREATE type 5, text inputs by ``custom_id``. The
        submission mirrors the modal's layout (action rows or labels)."""
        modal = source.modal
        if modal is None and custom_id is None:
            raise ValueError("the bot opened no modal for this interaction")
        layout = (modal or {}).get("components") or [
            {"type": 1, "components": [{"type": COMPONENT_TEXT_INPUT, "custom_id": k}]}
            for k in values
        ]
        interaction, payload = self._interaction_base(
            INTERACTION_MODAL_SUBMIT,
            source.channel_id,
            source.user_id,
            source.attachment_size_limit,
            install=source.install,
            token_ttl=token_ttl,
        )
        interaction.message_id = source.message_id
        payload["data"] = {
            "custom_id": custom_id or (modal or {})["custom_id"],
            "components": [_submitted(c, values) for c in layout],
        }
        if source.message_id is not None:
            payload["message"] = self.message_payload(self._messages[source.message_id])
        await self._dispatch_interaction(payload)
        return interaction

    def expire_interaction(self, interaction: Interaction) -> None:
        """End the interaction's token now: its webhook calls get 401 / 50027 from here on."""
        interaction.expires_at = time.monotonic()


def _submitted(component: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """A modal component as submitted: text inputs carry ``value``; containers recurse."""
    kind = int(component.get("type", 0))
    if kind == COMPONENT_LABEL and isinstance(component.get("component"), dict):
        return {"type": kind, "component": _submitted(component["component"], values)}
    if component.get("components"):
        return {
            "type": kind,
            "components": [_submitted(c, values) for c in component["components"]],
        }
    custom_id = component.get("custom_id", "")
    if kind == COMPONENT_TEXT_INPUT:
        return {"type": kind, "custom_id": custom_id, "value": values.get(custom_id, "")}
    return {"type": kind, "custom_id": custom_id, "values": list(values.get(custom_id, []))}
