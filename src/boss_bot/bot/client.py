"""`BossBot`: the discord.py bot, wired to the core's download manager and request pipeline.

::

    BossBot ──setup_hook──► DownloadManager.start() (warm workers) + Pipeline
       │                    load EXTENSIONS (one package per area)
       ▼
    exts/<area>/_cog.py ──parse──► core.pipeline.Pipeline.submit(JobRequest, DiscordUploader)
                                        │ stages ──► bot.progress.StatusMessage (throttled edits)
                                        ▼ batches ──► bot.delivery.DiscordUploader.send
    errors.py: the one handler for every command error

Settings are built once by the entry point and passed in. When ``DISCORD_API_BASE_URL`` /
``DISCORD_GATEWAY_URL`` are set, the bot talks to that server instead of Discord (the test
double, a proxy): discord.py reads ``Route.BASE`` for every request and connects to
``DiscordWebSocket.DEFAULT_GATEWAY``, so both are set just before login.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
import yarl
from discord.ext import commands

from boss_bot.bot import errors
from boss_bot.core.manager import DownloadManager
from boss_bot.core.pipeline import Pipeline
from boss_bot.core.settings import BossSettings

log = logging.getLogger(__name__)

EXTENSIONS = (
    "boss_bot.bot.exts.downloads",
    "boss_bot.bot.exts.youtube",
    "boss_bot.bot.exts.jobs",
    "boss_bot.bot.exts.admin",
    "boss_bot.bot.exts.help",
)


def bot_intents() -> discord.Intents:
    """The minimum: guilds (limits, channels), messages in guilds and DMs, and their text
    (prefix commands need ``message_content``, a privileged intent)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = True
    return intents


def apply_endpoints(settings: BossSettings) -> None:
    """Point discord.py at another Discord-compatible server when configured."""
    if settings.discord_api_base_url:
        discord.http.Route.BASE = settings.discord_api_base_url.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class BossBot(commands.Bot):
    """The bot. ``manager`` may be given (tests share a warm pool): the caller then starts and
    closes it. Otherwise the bot creates it, warms it in ``setup_hook`` and closes it."""

    def __init__(
        self,
        settings: BossSettings,
        *,
        manager: DownloadManager | None = None,
        extensions: tuple[str, ...] = EXTENSIONS,
        **options: Any,
    ) -> None:
        options.setdefault("intents", bot_intents())
        options.setdefault("help_command", None)  # exts/help provides a hybrid `help`
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(command_prefix=settings.command_prefix, **options)
        self.settings = settings
        self._owns_manager = manager is None
        self.manager = manager or DownloadManager(settings)
        self.pipeline = Pipeline(settings, self.manager)
        self.extension_names = extensions
        #: Users who count as admins everywhere (the application's owner(s)); filled at login.
        self.admin_ids: set[int] = set()
        self._closing_started = False
        errors.install(self)

    async def login(self, token: str) -> None:
        apply_endpoints(self.settings)
        await super().login(token)

    async def setup_hook(self) -> None:
        if self._owns_manager:
            await self.manager.start()
        for name in self.extension_names:
            await self.load_extension(name)
        await self._load_owners()

    async def _load_owners(self) -> None:
        try:
            app = await self.application_info()
        except (discord.HTTPException, AttributeError):
            return
        if app.team is not None:
            self.admin_ids = {m.id for m in app.team.members}
        elif app.owner is not None:
            self.admin_ids = {app.owner.id}

    async def on_command_error(  # type: ignore[override]
        self, ctx: commands.Context[BossBot], error: commands.CommandError
    ) -> None:
        await errors.on_command_error(ctx, error)

    async def on_ready(self) -> None:
        log.info("connected as %s to %d guild(s)", self.user, len(self.guilds))

    async def close(self) -> None:
        """Cancel jobs (their files are cleaned up), stop our workers, then disconnect."""
        if not self._closing_started:
            self._closing_started = True
            await self.pipeline.close()
            if self._owns_manager:
                await self.manager.close()
        await super().close()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before every re-IDENTIFY; only needed against real Discord's
        identify rate limit, so it is skipped when talking to another server."""
        if self.settings.discord_gateway_url is None:
            await super().before_identify_hook(shard_id, initial=initial)
