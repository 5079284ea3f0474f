"""The double's state and the lookups every other part shares.

:class:`DoubleState` is the root of the :class:`~tests.discord_double.DiscordDouble` class
chain (state → payloads → events → configuration → interactions → injection → inspection →
server), one module per concept.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .constants import (
    DM_FILE_LIMIT,
    INTERACTION_TOKEN_TTL,
    MAX_GUILDS_PER_SHARD,
)
from .gateway import Gateway
from .models import Channel, Guild, SnowflakeFactory, User
from .permissions import channel_permissions
from .records import (
    Fault,
    Interaction,
    Latency,
    RequestRecord,
    StoredMessage,
    UnknownRoute,
)
from .rest import API_PREFIX, RestApi


class DoubleState:
    def __init__(
        self,
        *,
        token: str = "double-token",
        bot_name: str = "boss-bot",
        heartbeat_interval_ms: int = 41_250,
        storage_dir: Path | None = None,
        echo_bot_messages: bool = True,
        send_ratelimit_headers: bool = True,
        interaction_token_ttl: float = INTERACTION_TOKEN_TTL,
        callback_deadline: float | None = None,
        recommended_shards: int | None = None,
        max_guilds_per_shard: int | None = MAX_GUILDS_PER_SHARD,
        guild_create_members: str = "all",
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
            interaction_token_ttl: seconds an interaction token lives (Discord: 15 min); after
                it, webhook calls get 401 / 50027. Per interaction: ``token_ttl=``.
            callback_deadline: seconds the bot has for the initial callback (Discord: 3);
                None = not enforced (the default: shared CI machines are slow).
            recommended_shards: ``shards`` in ``GET /gateway/bot``; None = Discord's rule of
                thumb, one per 1,000 guilds (at least 1).
            max_guilds_per_shard: an IDENTIFY whose shard would carry more guilds is closed
                with 4011 "Sharding required" (Discord: 2,500); None = no limit.
            guild_create_members: "all" sends every known member in GUILD_CREATE (the
                default); "bot" sends only the bot, as Discord does without the presences
                intent (``member_count`` still counts them all).
        """
        if guild_create_members not in ("all", "bot"):
            raise ValueError("guild_create_members must be 'all' or 'bot'")
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.echo_bot_messages = echo_bot_messages
        self.send_ratelimit_headers = send_ratelimit_headers
        self.interaction_token_ttl = interaction_token_ttl
        self.callback_deadline = callback_deadline
        self.recommended_shards = recommended_shards
        self.max_guilds_per_shard = max_guilds_per_shard
        self.guild_create_members = guild_create_members
        self.snowflake = SnowflakeFactory()

        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        #: Every channel: guild channels, threads, the bot's DMs and private channels.
        self.channels: dict[int, Channel] = {}
        self._dm_by_user: dict[int, int] = {}
        self.bot = User(id=self.snowflake(), username=bot_name, bot=True)
        self.users[self.bot.id] = self.bot
        self.application_id = self.bot.id  # as on Discord, for bots created since 2016
        self.app_owner = User(id=self.snowflake(), username="app-owner")
        self.users[self.app_owner.id] = self.app_owner

        self._messages: dict[int, StoredMessage] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self.requests: list[RequestRecord] = []
        self.unknown_routes: list[UnknownRoute] = []
        #: Exceptions raised by the double's own handlers (answered with 503): should be [].
        self.internal_errors: list[Exception] = []
        self.faults: list[Fault] = []
        self.latencies: list[Latency] = []
        self.interactions: dict[int, Interaction] = {}
        self._interaction_by_token: dict[str, int] = {}
        #: Application commands from bulk overwrites: key None = global, else guild id.
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        #: (channel_id, time.monotonic()) for each typing trigger.
        self.typing: list[tuple[int, float]] = []

        self.gateway = Gateway(self)  # type: ignore[arg-type]
        self.rest = RestApi(self)  # type: ignore[arg-type]
        self._changed = asyncio.Event()
        self._given_storage = storage_dir
        self._storage_dir: Path | None = None
        self._port: int | None = None

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

    def attachment_url(self, channel_id: int, message_id: int, filename: str) -> str:
        return f"{self.base_url}/attachments/{channel_id}/{message_id}/{quote(filename)}"

    @property
    def storage_dir(self) -> Path:
        if self._storage_dir is None:
            raise RuntimeError("DiscordDouble is not started")
        return self._storage_dir

    def _notify(self) -> None:
        """Wake everything in ``wait_until``: state changed."""
        self._changed.set()
        self._changed = asyncio.Event()

    # --- shared lookups -------------------------------------------------------------------

    def bot_in(self, guild_id: int | None) -> bool:
        """Whether the bot is a member of the guild (False for None)."""
        guild = self.guilds.get(guild_id or 0)
        return guild is not None and self.bot.id in guild.members

    def bot_guilds(self) -> list[Guild]:
        """The guilds the bot is in: what READY and GUILD_CREATE carry."""
        return [g for g in self.guilds.values() if self.bot.id in g.members]

    def bot_can_see(self, channel: Channel) -> bool:
        """Whether the bot can reach the channel at all: its own DMs, or a guild it is in."""
        if channel.is_private:
            return channel.bot_is_recipient
        return self.bot_in(channel.guild_id)

    def permissions_in(self, channel: Channel, user_id: int) -> int:
        """``user_id``'s permissions in a guild channel or thread, overwrites included."""
        if channel.guild_id is None:
            return 0
        return channel_permissions(self.guilds[channel.guild_id], channel, user_id)

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

    def interaction_limit(self, interaction: Interaction) -> int:
        """The per-file limit enforced on an interaction's callback and webhook uploads: its
        ``attachment_size_limit``, unless the guild has a (lower, secret) real limit."""
        guild = self.guilds.get(interaction.guild_id or 0)
        if guild is not None and guild.real_limit_override is not None:
            return min(guild.real_limit_override, interaction.attachment_size_limit)
        return interaction.attachment_size_limit
