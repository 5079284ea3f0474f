"""The Discord side of a ``bossctl worker``: REST only, no gateway.

discord.py can log in (``Client.login``: one ``GET /users/@me`` to check the token) without
connecting to the gateway; every call a job needs is REST: posting files, editing the status
message, reading a guild's boost tier for its upload limit. The gateway and the Cancel button
stay with the bot; a Cancel reaches the worker through the database (the pipeline polls it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import discord

from boss_bot.bot.client import apply_endpoints, discord_http_trace
from boss_bot.bot.delivery import adopt_job
from boss_bot.bot.quiet import QuietPost
from boss_bot.bot.status import JobStatus
from boss_bot.core.errors import ConfigurationError
from boss_bot.core.guilds import GuildSettingsService
from boss_bot.core.jobs import Job, JobRequest
from boss_bot.core.pipeline import AdoptReason, Attachment, Pipeline
from boss_bot.core.settings import BossSettings
from boss_bot.core.upload.limits import DM_FILE_LIMIT

log = logging.getLogger(__name__)

#: A guild's upload limit (from its boost tier) is looked up again after this many seconds.
GUILD_LIMIT_TTL = 300.0
#: How long a stopping worker waits for the last status edits.
_STATUS_FLUSH_SECONDS = 5.0


class RestHost:
    """:class:`~boss_bot.core.pipeline.JobHost` and :class:`~boss_bot.bot.delivery.StatusHost`
    for a worker: adopted jobs get their status message edited and their files posted over
    REST with the bot's token."""

    def __init__(self, settings: BossSettings, pipeline: Pipeline) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.client = discord.Client(
            intents=discord.Intents.none(), http_trace=discord_http_trace(pipeline.telemetry)
        )
        self.statuses: set[JobStatus] = set()
        self.quiet_posts: dict[int, QuietPost] = {}
        self.admin_ids: set[int] = set()
        #: The servers' settings (original=suppress for automatic-mode jobs run here).
        self.guild_settings = GuildSettingsService(pipeline.store, settings)
        self._background: set[asyncio.Task[Any]] = set()
        self._limits: dict[int, tuple[float, int]] = {}

    async def start(self) -> None:
        """Log in over REST (raises discord.LoginFailure for a bad token)."""
        token = self.settings.discord_token
        if token is None or not token.get_secret_value().strip():
            raise ConfigurationError("DISCORD_TOKEN is not set")
        apply_endpoints(self.settings)
        await self.client.login(token.get_secret_value())
        await self.guild_settings.start()

    async def close(self) -> None:
        waiting = [asyncio.ensure_future(s.done.wait()) for s in list(self.statuses)]
        if waiting:
            await asyncio.wait(waiting, timeout=_STATUS_FLUSH_SECONDS)
        for task in list(self._background):
            task.cancel()
        await self.guild_settings.close()
        await self.client.close()

    @property
    def user(self) -> discord.ClientUser | None:
        return self.client.user

    def track(self, task: asyncio.Task[Any]) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- JobHost -------------------------------------------------------------------------------
    async def adopt(self, job: Job, request: JobRequest, reason: AdoptReason) -> Attachment | None:
        return await adopt_job(self, job, request, reason)

    # -- StatusHost ----------------------------------------------------------------------------
    async def ready(self) -> bool:
        return self.client.http.token is not None

    async def job_channel(self, job: Job) -> Any:
        if job.channel_id is None:
            return None
        return self.client.get_partial_messageable(job.channel_id, guild_id=job.guild_id)

    async def channel_file_limit(self, channel: Any, job: Job) -> int:
        """The guild's limit from its boost tier (cached); a DM's otherwise."""
        if job.guild_id is None:
            return DM_FILE_LIMIT
        cached = self._limits.get(job.guild_id)
        if cached is not None and time.monotonic() - cached[0] < GUILD_LIMIT_TTL:
            return cached[1]
        limit = DM_FILE_LIMIT
        with contextlib.suppress(discord.HTTPException):
            guild = await self.client.fetch_guild(job.guild_id, with_counts=False)
            limit = guild.filesize_limit
        self._limits[job.guild_id] = (time.monotonic(), limit)
        return limit
