"""``DiscordDouble``: configuration, lifecycle, injection and inspection in one object.

See the package docstring for how to use it. The HTTP handlers live in ``rest.py``, the
websocket protocol in ``gateway.py`` and the data classes in ``models.py``; this module
renders state into Discord payloads and offers the test-facing API.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import hashlib
import mimetypes
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yarl
from aiohttp import web

from .gateway import Gateway
from .models import (
    CHANNEL_DM,
    CHANNEL_TEXT,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM_FILE_LIMIT,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    MESSAGE_REPLY,
    Channel,
    Fault,
    Guild,
    Interaction,
    Latency,
    Member,
    MessageEdit,
    RequestRecord,
    Role,
    SnowflakeFactory,
    StoredAttachment,
    StoredMessage,
    UnknownRoute,
    User,
    iso,
    mentioned_ids,
)
from .rest import API_PREFIX, RestApi

_OPTION_TYPES: dict[type, int] = {bool: 5, int: 4, float: 10, str: 3}


class DiscordDouble:
    """A Discord API + gateway on 127.0.0.1 for end-to-end tests of a discord.py bot.

    Use as ``async with DiscordDouble() as double:`` (or ``await start()`` / ``await stop()``).
    Configure guilds, channels and users *before* the bot connects: the gateway sends them
    in GUILD_CREATE at IDENTIFY time.
    """

    def __init__(
        self,
        *,
        token: str = "double-token",
        bot_name: str = "boss-bot",
        heartbeat_interval_ms: int = 41_250,
        storage_dir: Path | None = None,
        echo_bot_messages: bool = True,
        send_ratelimit_headers: bool = True,
    ) -> None:
        """
        Args:
            token: the bot token the double accepts (``Authorization: Bot <token>``).
            bot_name: the bot user's username.
            heartbeat_interval_ms: sent in HELLO.
            storage_dir: where uploads are written; default a temp dir removed on ``stop()``
                (a given directory is left alone).
            echo_bot_messages: dispatch MESSAGE_CREATE/UPDATE/DELETE for the bot's own
                messages too, as Discord does.
            send_ratelimit_headers: add (generous) ``X-RateLimit-*`` headers to API responses.
        """
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.echo_bot_messages = echo_bot_messages
        self.send_ratelimit_headers = send_ratelimit_headers
        self.snowflake = SnowflakeFactory()

        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.bot = self.add_user(bot_name, bot=True)
        self.application_id = self.bot.id  # as on Discord, for bots created since 2016
        self.app_owner = self.add_user("app-owner")

        self._messages: dict[int, StoredMessage] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self.requests: list[RequestRecord] = []
        self.unknown_routes: list[UnknownRoute] = []
        #: Exceptions raised by the double's own handlers (answered with 503): should be [].
        self.internal_errors: list[Exception] = []
        self.faults: list[Fault] = []
        self.latencies: list[Latency] = []
        self.interactions: dict[int, Interaction] = {}
        #: Application commands from bulk overwrites: key None = global, else guild id.
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        #: (channel_id, time.monotonic()) for each typing trigger.
        self.typing: list[tuple[int, float]] = []

        self.gateway = Gateway(self)
        self.rest = RestApi(self)
        self._changed = asyncio.Event()
        self._given_storage = storage_dir
        self._storage_dir: Path | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> DiscordDouble:
        if self._given_storage is not None:
            self._given_storage.mkdir(parents=True, exist_ok=True)
            self._storage_dir = self._given_storage
        else:
            self._storage_dir = Path(tempfile.mkdtemp(prefix="discord-double-"))
        # No client_max_size cap: JSON bodies are small and uploads are streamed.
        app = web.Application(middlewares=[self.rest.middleware], client_max_size=2**40)
        app.router.add_get("/gateway", self.gateway.handle)
        self.rest.add_routes(app)
        app.router.add_route("*", "/{tail:.*}", self.rest.unknown)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[union-attr]
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._storage_dir is not None and self._given_storage is None:
            shutil.rmtree(self._storage_dir, ignore_errors=True)

    async def __aenter__(self) -> DiscordDouble:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("DiscordDouble is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE`` (a ``str``)."""
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """For ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (wrap it in ``yarl.URL``)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def storage_dir(self) -> Path:
        if self._storage_dir is None:
            raise RuntimeError("DiscordDouble is not started")
        return self._storage_dir

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py at the double for the duration (and restore it afterwards).

        discord.py reads ``Route.BASE`` (str) for every REST call, including webhooks and
        interaction callbacks, and ``DiscordWebSocket.DEFAULT_GATEWAY`` (``yarl.URL``) when
        a plain ``Client``/``Bot`` connects.
        """
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = self.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway

    # --- configuration --------------------------------------------------------------------

    def add_user(self, username: str, *, bot: bool = False) -> User:
        user = User(id=self.snowflake(), username=username, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "guild",
        *,
        premium_tier: int = 0,
        owner_id: int | None = None,
        real_limit_override: int | None = None,
        channel_names: Sequence[str] = ("general",),
        bot_permissions: int | None = None,
    ) -> Guild:
        """A guild with @everyone, text channels, the bot and the owner as members.

        ``bot_permissions`` gives the bot a role with exactly those permissions and takes
        them away from @everyone's defaults, to test permission errors.
        """
        if premium_tier not in (0, 1, 2, 3):
            raise ValueError("premium_tier must be 0..3")
        owner = owner_id if owner_id is not None else self.app_owner.id
        guild = Guild(
            id=self.snowflake(),
            name=name,
            owner_id=owner,
            premium_tier=premium_tier,
            real_limit_override=real_limit_override,
        )
        everyone = DEFAULT_EVERYONE_PERMISSIONS if bot_permissions is None else 0
        guild.roles[guild.id] = Role(id=guild.id, name="@everyone", permissions=everyone)
        self.guilds[guild.id] = guild
        for channel_name in channel_names:
            self.add_text_channel(guild.id, channel_name)
        self.add_member(guild.id, owner)
        bot_member = self.add_member(guild.id, self.bot.id)
        if bot_permissions is not None:
            role = self.add_role(guild.id, "bot", permissions=bot_permissions)
            bot_member.roles.append(role.id)
        return guild

    def add_role(self, guild_id: int, name: str, *, permissions: int = 0) -> Role:
        guild = self.guilds[guild_id]
        role = Role(
            id=self.snowflake(), name=name, permissions=permissions, position=len(guild.roles)
        )
        guild.roles[role.id] = role
        return role

    def add_member(self, guild_id: int, user_id: int, roles: Sequence[int] = ()) -> Member:
        member = Member(user_id=user_id, roles=list(roles))
        self.guilds[guild_id].members[user_id] = member
        return member

    def add_text_channel(self, guild_id: int, name: str) -> Channel:
        guild = self.guilds[guild_id]
        channel = Channel(
            id=self.snowflake(), name=name, guild_id=guild_id, position=len(guild.channels)
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def dm_channel(self, user_id: int) -> Channel:
        """The DM channel between the bot and ``user_id`` (created on first use)."""
        for channel in self.channels.values():
            if channel.is_dm and channel.recipient_id == user_id:
                return channel
        channel = Channel(id=self.snowflake(), name="", type=CHANNEL_DM, recipient_id=user_id)
        self.channels[channel.id] = channel
        return channel

    def set_real_limit(self, guild_id: int, limit: int | None) -> None:
        """Enforce ``limit`` bytes per file in this guild whatever its tier says (None: tier)."""
        self.guilds[guild_id].real_limit_override = limit

    def file_limit_for(self, channel_id: int) -> int:
        """The per-file limit enforced in a channel (the override, if the guild has one)."""
        channel = self.channels[channel_id]
        if channel.guild_id is None:
            return DM_FILE_LIMIT
        return self.guilds[channel.guild_id].file_limit

    def advertised_limit_for(self, channel_id: int) -> int:
        """The per-file limit the tier advertises in a channel (ignores the override)."""
        channel = self.channels[channel_id]
        if channel.guild_id is None:
            return DM_FILE_LIMIT
        return self.guilds[channel.guild_id].advertised_file_limit

    def inject_fault(
        self,
        method: str,
        path_glob: str,
        *,
        status: int = 500,
        count: int = 1,
        retry_after: float = 0.1,
        is_global: bool = False,
        body: dict[str, Any] | None = None,
    ) -> Fault:
        """The next ``count`` requests matching ``method`` ("*" = any) and ``path_glob``
        (fnmatch against the path below ``/api/v10``, e.g. ``"/channels/*/messages"``) get
        ``status``. A 429 carries ``retry_after`` and the headers discord.py needs to retry.

        discord.py retries 500/502/504/524 after 1 s, 3 s, ... (5 tries) and 429 after
        ``retry_after``; other 5xx raise at once.
        """
        fault = Fault(
            method=method.upper(),
            path_glob=path_glob,
            status=status,
            remaining=count,
            retry_after=retry_after,
            is_global=is_global,
            body=body,
        )
        self.faults.append(fault)
        return fault

    def inject_latency(
        self,
        method: str,
        path_glob: str,
        seconds: float,
        *,
        count: int = 1,
        uploads_only: bool = False,
    ) -> Latency:
        """The next ``count`` requests matching ``method`` and ``path_glob`` (as for
        :meth:`inject_fault`; with ``uploads_only``, only those carrying files) are answered
        only after ``seconds``."""
        latency = Latency(method.upper(), path_glob, seconds, count, uploads_only)
        self.latencies.append(latency)
        return latency

    # --- payload rendering ----------------------------------------------------------------

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
        if channel.is_dm:
            user = self.users[channel.recipient_id or 0]
            return {
                "id": str(channel.id),
                "type": CHANNEL_DM,
                "recipients": [user.to_payload()],
                "last_message_id": None,
            }
        return {
            "id": str(channel.id),
            "type": CHANNEL_TEXT,
            "guild_id": str(channel.guild_id),
            "name": channel.name,
            "position": channel.position,
            "permission_overwrites": [],
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    def guild_create_payload(self, guild: Guild) -> dict[str, Any]:
        """GUILD_CREATE with everything inline; ``member_count`` equals the members sent,
        so discord.py considers the guild chunked and never requests members."""
        members = [m.to_payload(self.users[m.user_id]) for m in guild.members.values()]
        return {
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
            "threads": [],
            "members": members,
            "member_count": len(members),
            "large": False,
            "unavailable": False,
            "joined_at": iso(guild.created_at),
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "application_id": None,
        }

    def _user_with_member(self, user_id: int, guild_id: int | None) -> dict[str, Any]:
        payload = self.users[user_id].to_payload()
        member = self.guilds[guild_id].members.get(user_id) if guild_id else None
        if member is not None:
            payload["member"] = member.to_payload()
        return payload

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
            payload["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": self.users[interaction.user_id].to_payload(),
                "authorizing_integration_owners": {},
            }
        if msg.reference is not None and with_reference:
            ref_id = int(msg.reference.get("message_id") or 0)
            payload["message_reference"] = {
                "type": 0,
                "message_id": str(ref_id),
                "channel_id": str(msg.channel_id),
                **({"guild_id": str(msg.guild_id)} if msg.guild_id else {}),
            }
            referenced = self._messages.get(ref_id)
            payload["referenced_message"] = (
                self.message_payload(referenced, with_reference=False) if referenced else None
            )
        return payload

    # --- storage and dispatch (used by the REST handlers) ---------------------------------

    def attachment_url(self, channel_id: int, message_id: int, filename: str) -> str:
        return f"{self.base_url}/attachments/{channel_id}/{message_id}/{quote(filename)}"

    def _notify(self) -> None:
        """Wake everything in ``wait_until``: state changed."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _message_intent(self, msg: StoredMessage) -> int:
        return INTENT_DIRECT_MESSAGES if msg.guild_id is None else INTENT_GUILD_MESSAGES

    def _content_gated(self, msg: StoredMessage) -> bool:
        """Whether MESSAGE_CONTENT is needed to see this message's content (Discord's rule)."""
        return not (
            msg.guild_id is None
            or msg.author_id == self.bot.id
            or self.bot.id in mentioned_ids(msg.content)
        )

    async def _store_message(self, msg: StoredMessage) -> None:
        if msg.reference is not None and msg.type == 0:
            msg.type = MESSAGE_REPLY
        self._messages[msg.id] = msg
        self._channel_messages.setdefault(msg.channel_id, []).append(msg.id)
        self._notify()
        if msg.author_id != self.bot.id or self.echo_bot_messages:
            await self.gateway.dispatch(
                "MESSAGE_CREATE",
                self.message_payload(msg),
                intent=self._message_intent(msg),
                content_gated=self._content_gated(msg),
            )

    async def _record_edit(self, msg: StoredMessage, payload: dict[str, Any]) -> None:
        msg.edits.append(
            MessageEdit(
                at=time.monotonic(),
                timestamp=time.time(),
                content=msg.content,
                attachment_ids=[a.id for a in msg.attachments],
                payload=payload,
            )
        )
        self._notify()
        if self.echo_bot_messages:
            await self.gateway.dispatch(
                "MESSAGE_UPDATE",
                self.message_payload(msg),
                intent=self._message_intent(msg),
                content_gated=self._content_gated(msg),
            )

    async def _delete_message(self, msg: StoredMessage) -> None:
        msg.deleted, msg.deleted_at = True, time.monotonic()
        self._notify()
        data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        await self.gateway.dispatch("MESSAGE_DELETE", data, intent=self._message_intent(msg))

    # --- injection ------------------------------------------------------------------------

    def _require_session(self) -> None:
        if not self.gateway.sessions:
            raise RuntimeError("no gateway session: the client has not identified yet")

    async def send_user_message(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        attachments: Sequence[tuple[str, bytes]] = (),
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A user posts ``content`` in ``channel_id``: stored, then dispatched as MESSAGE_CREATE.

        ``attachments`` are (filename, bytes) pairs, served back like the bot's uploads.
        Returns the message payload. If the socket is down (e.g. after ``drop_connection``)
        the dispatch waits in the session backlog and is replayed on RESUME.
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
        msg = StoredMessage(
            id=message_id,
            channel_id=channel_id,
            guild_id=channel.guild_id,
            author_id=author_id,
            content=content,
            created_at=time.time(),
            created_monotonic=time.monotonic(),
            attachments=stored,
            reference={"message_id": reply_to} if reply_to else None,
        )
        await self._store_message(msg)
        return self.message_payload(msg)

    def _interaction_base(
        self, kind: int, channel_id: int, user_id: int, attachment_size_limit: int | None
    ) -> tuple[Interaction, dict[str, Any]]:
        self._require_session()
        channel = self.channels[channel_id]
        interaction_id = self.snowflake()
        token = secrets.token_urlsafe(24)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": token,
            "version": 1,
            "channel_id": str(channel_id),
            "channel": self.channel_payload(channel),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": attachment_size_limit
            if attachment_size_limit is not None
            else self.advertised_limit_for(channel_id),
        }
        if channel.guild_id is not None:
            guild = self.guilds[channel.guild_id]
            member = guild.members[user_id].to_payload(self.users[user_id])
            member["permissions"] = str(guild.permissions_of(user_id))
            payload.update(
                guild_id=str(guild.id),
                guild_locale="en-US",
                member=member,
                app_permissions=str(guild.permissions_of(self.bot.id)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=self.users[user_id].to_payload(),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        interaction = Interaction(
            id=interaction_id,
            token=token,
            type=kind,
            channel_id=channel_id,
            guild_id=channel.guild_id,
            user_id=user_id,
            payload=payload,
        )
        self.interactions[interaction_id] = interaction
        return interaction, payload

    async def inject_interaction(
        self,
        channel_id: int,
        user_id: int,
        name: str,
        options: dict[str, Any] | list[dict[str, Any]] | None = None,
        *,
        attachment_size_limit: int | None = None,
    ) -> Interaction:
        """A user runs slash command ``/name``: dispatches INTERACTION_CREATE (type 2).

        ``options`` is ``{"url": "...", "upload": True}`` (types inferred: str, int, bool,
        float) or a raw Discord option list (for subcommands, users, attachments...).
        ``attachment_size_limit`` defaults to the limit the guild's tier advertises.
        The returned :class:`Interaction` collects callbacks and follow-up messages.
        """
        if isinstance(options, dict):
            raw = [
                {"name": k, "type": _OPTION_TYPES[type(v)], "value": v} for k, v in options.items()
            ]
        else:
            raw = list(options or [])
        interaction, payload = self._interaction_base(2, channel_id, user_id, attachment_size_limit)
        channel = self.channels[channel_id]
        registered = {
            c["name"]: c
            for c in self.commands.get(channel.guild_id, []) + self.commands.get(None, [])
        }
        data: dict[str, Any] = {
            "id": registered[name]["id"] if name in registered else str(self.snowflake()),
            "name": name,
            "type": 1,
            "options": raw,
        }
        if channel.guild_id is not None and name in {
            c["name"] for c in self.commands.get(channel.guild_id, [])
        }:
            data["guild_id"] = str(channel.guild_id)
        payload["data"] = data
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return interaction

    async def click_button(self, message_id: int, custom_id: str, user_id: int) -> Interaction:
        """A user presses the button ``custom_id`` on a message: INTERACTION_CREATE (type 3)."""
        msg = self._messages[message_id]
        interaction, payload = self._interaction_base(3, msg.channel_id, user_id, None)
        interaction.message_id = message_id
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        payload["message"] = self.message_payload(msg)
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return interaction

    async def drop_connection(self, code: int = 4000) -> int:
        """Close the gateway socket(s) with ``code`` (4000: resumable) as a network drop would.

        discord.py then reconnects and RESUMEs; wait with
        ``await double.wait_for_gateway(after=epoch)`` where ``epoch = double.gateway_epoch``
        was read before the drop. Returns the number of sockets closed.
        """
        return await self.gateway.drop(code)

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send INVALID_SESSION; with ``resumable=False`` the client must IDENTIFY again."""
        await self.gateway.invalidate(resumable)

    # --- inspection -----------------------------------------------------------------------

    def messages(self, channel_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        """Messages in ``channel_id`` (user and bot), in creation order."""
        msgs = [self._messages[i] for i in self._channel_messages.get(channel_id, [])]
        return msgs if include_deleted else [m for m in msgs if not m.deleted]

    def bot_messages(self, channel_id: int) -> list[StoredMessage]:
        return [m for m in self.messages(channel_id) if m.author_id == self.bot.id]

    def message(self, message_id: int) -> StoredMessage:
        return self._messages[message_id]

    def attachments(self, channel_id: int) -> list[StoredAttachment]:
        """Every attachment currently on a live message in the channel, in order."""
        return [a for m in self.messages(channel_id) for a in m.attachments]

    def requests_to(self, method: str, path_glob: str) -> list[RequestRecord]:
        """Logged requests matching ``method`` ("*" = any) and a glob on the API sub-path."""
        return [
            r
            for r in self.requests
            if method in ("*", r.method)
            and fnmatch.fnmatchcase(r.path.removeprefix(API_PREFIX), path_glob)
        ]

    @property
    def gateway_epoch(self) -> int:
        """Increments each time a gateway session becomes live (ready or resumed)."""
        return self.gateway.epoch

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait (bounded) until ``predicate()`` is truthy; re-checked on every state change."""
        async with asyncio.timeout(timeout):
            while not (result := predicate()):
                await self._changed.wait()
            return result

    async def wait_for_gateway(self, after: int = 0, timeout: float = 5.0) -> None:
        """Wait until a session went live after epoch ``after`` (0: the first READY)."""
        await self.wait_until(lambda: self.gateway.epoch > after, timeout)

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
