"""`BossBot`: the discord.py bot, wired to the core's download manager and request pipeline.

::

    BossBot ──setup_hook──► open_store (migrations) + DownloadManager.start() (warm workers)
       │                    Pipeline(store) ; load EXTENSIONS (one package per area)
       │                    Pipeline.start(): recover jobs of the last run, start scheduling
       ▼
    exts/<area>/_cog.py ──parse──► core.pipeline.Pipeline.submit(JobRequest, DiscordUploader)
                                        │ persisted job ─► claimed in fair order
                                        │ stages ──► bot.progress.StatusMessage (throttled edits)
                                        ▼ batches ──► bot.delivery.DiscordUploader.send
    delivery.adopt_job: jobs resumed after a restart / retried (the pipeline's JobHost)
    errors.py: the one handler for every command error

With QUEUE_BACKEND=redis the bot's pipeline is a *dispatcher*: jobs are persisted (PostgreSQL)
and handed to ``bossctl worker`` processes through arq; the bot keeps the gateway, posts each
status message and answers its Cancel button, and starts no download workers of its own.

The bot is discord.py's ``AutoShardedBot``: one gateway connection per shard of ``SHARD_IDS``
(all by default) out of ``SHARD_COUNT`` (``auto``: what ``/gateway/bot`` recommends). Several
bot processes on one token each run their own shards in distributed mode; each holds a lease
per shard in the store (:mod:`boss_bot.core.shard_keeper`), taken before it connects, and adopts
at start only the queued jobs of its own guilds. ``BossBotBase`` is the same bot on a plain
one-connection ``Bot`` (dpytest cannot drive a sharded client).

Settings are built once by the entry point and passed in. When ``DISCORD_API_BASE_URL`` /
``DISCORD_GATEWAY_URL`` are set, the bot talks to that server instead of Discord (the test
double, a proxy): discord.py reads ``Route.BASE`` for every request and connects to
``DiscordWebSocket.DEFAULT_GATEWAY``, so both are set just before login.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import yarl
from discord.ext import commands

from boss_bot.bot import errors
from boss_bot.core.errors import BossBotError, ShardLeaseError
from boss_bot.core.events import EventBus
from boss_bot.core.gc_pause import freeze_startup_objects
from boss_bot.core.guilds import GuildSettingsService
from boss_bot.core.manager import DownloadManager
from boss_bot.core.pipeline import AdoptReason, Attachment, Pipeline
from boss_bot.core.settings import BossSettings
from boss_bot.core.shard_keeper import ShardKeeper
from boss_bot.core.shards import ShardSet
from boss_bot.core.store import Store, open_store
from boss_bot.core.telemetry import Telemetry
from boss_bot.core.upload.limits import (
    DM_FILE_LIMIT,
    HTTP_TOO_MANY_REQUESTS,
    RETRIED_SERVER_ERRORS,
)

if TYPE_CHECKING:
    from boss_bot.bot.quiet import QuietPost
    from boss_bot.bot.status import JobStatus
    from boss_bot.core.jobs import Job, JobRequest

log = logging.getLogger(__name__)

#: How long an adopted job waits for the gateway before giving up on its channel.
READY_TIMEOUT = 60.0
#: Messages kept in discord.py's cache (its default is 1,000). Nothing here reads the cache:
#: commands get their message with the event, replies carry the message they answer, and
#: status messages are edited by id. A small cache only bounds memory with many servers.
MESSAGE_CACHE = 100

EXTENSIONS = (
    "boss_bot.bot.exts.downloads",
    "boss_bot.bot.exts.auto",
    "boss_bot.bot.exts.settings",
    "boss_bot.bot.exts.youtube",
    "boss_bot.bot.exts.jobs",
    "boss_bot.bot.exts.stats",
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


def discord_http_trace(telemetry: Telemetry) -> aiohttp.TraceConfig:
    """Count the answers discord.py retries by itself (429 after ``retry_after``; 500, 502,
    504 and 524 after a backoff) into ``boss_discord_retries_total`` for /metrics. aiohttp's
    request tracing is the hook discord.py offers (``http_trace``); nothing else sees them."""
    trace = aiohttp.TraceConfig()

    async def on_request_end(
        session: aiohttp.ClientSession, context: object, params: aiohttp.TraceRequestEndParams
    ) -> None:
        status = params.response.status
        if status == HTTP_TOO_MANY_REQUESTS:
            telemetry.discord_retry("rate_limited")
        elif status in RETRIED_SERVER_ERRORS:
            telemetry.discord_retry("server_error")

    trace.on_request_end.append(on_request_end)
    return trace


#: How long a shutdown waits for the last status edits of interrupted jobs.
_STATUS_FLUSH_SECONDS = 5.0


def memory_options(options: dict[str, Any]) -> None:
    """What keeps thousands of servers cheap: no member chunking at start-up, no member cached
    beyond what the intents bring (with the shipped intents, none but the bot's own, which
    discord.py always keeps: ``guild.me``), and a bounded message cache. Role checks read
    ``ctx.author.roles``, which arrive with each message (its ``member``), not from the cache."""
    options.setdefault("chunk_guilds_at_startup", False)
    options.setdefault(
        "member_cache_flags", discord.MemberCacheFlags.from_intents(options["intents"])
    )
    options.setdefault("max_messages", MESSAGE_CACHE)


class BossBotBase(commands.Bot):
    """The bot on one plain gateway connection (dpytest uses it); :class:`BossBot` is the same
    bot, sharded, and the one ``bossctl run`` starts.

    ``manager`` may be given (tests share a warm pool): the caller then starts and closes it.
    Otherwise the bot creates it, warms it in ``setup_hook`` and closes it. The same goes for
    ``store``: by default the bot opens it (applying migrations) in ``setup_hook``.

    The bot owns its pipeline's shared state: the event bus (live progress for the HTTP API)
    and the telemetry (Prometheus series, Discord retries counted by the HTTP trace)."""

    pipeline: Pipeline
    store: Store
    guild_settings: GuildSettingsService

    def __init__(
        self,
        settings: BossSettings,
        *,
        manager: DownloadManager | None = None,
        store: Store | None = None,
        extensions: tuple[str, ...] = EXTENSIONS,
        **options: Any,
    ) -> None:
        options.setdefault("intents", bot_intents())
        options.setdefault("help_command", None)  # exts/help provides a hybrid `help`
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        self.bus = EventBus()
        self.telemetry = Telemetry()
        options.setdefault("http_trace", discord_http_trace(self.telemetry))
        memory_options(options)
        super().__init__(command_prefix=settings.command_prefix, **options)
        self.settings = settings
        self._owns_manager = manager is None
        self.manager = manager or DownloadManager(settings)
        self._owns_store = store is None
        if store is not None:
            self.store = store
        self.extension_names = extensions
        #: Status messages of jobs in flight (a shutdown lets their last edit go out).
        self.statuses: set[JobStatus] = set()
        #: Automatic mode's posts in flight, by original message id.
        self.quiet_posts: dict[int, QuietPost] = {}
        self._background: set[asyncio.Task[Any]] = set()
        #: Users who count as admins everywhere (the application's owner(s)); filled at login.
        self.admin_ids: set[int] = set()
        self._closing_started = False

        # The HTTP API server when HTTP_ENABLED (``self.http`` is discord.py's own client).
        self.api_server: Any = None
        #: Distributed mode's arq connection (QUEUE_BACKEND=redis), else None.
        self.tickets: Any = None
        #: The shards this process runs (known once logged in) and, in distributed mode, the
        #: leases on them.
        self.shard_set = ShardSet.every(1)
        self.shard_keeper: ShardKeeper | None = None
        #: Why the bot stopped by itself (a shard taken over), for the entry point to report.
        self.stop_error: BossBotError | None = None
        self._lost_close: asyncio.Task[None] | None = None
        errors.install(self)

    async def login(self, token: str) -> None:
        apply_endpoints(self.settings)
        await super().login(token)

    async def setup_hook(self) -> None:
        from boss_bot.bot.views import CancelButton, DeleteButton

        if self._owns_store:
            self.store = await open_store(self.settings)  # migrations applied on start
        self.shard_set = await self.resolve_shards()
        if self.settings.queue_backend == "redis":
            # Several bot processes may share this store: refuse a shard another one runs
            # (ShardLeaseError, one line from the entry point), before the gateway connects.
            keeper = ShardKeeper(
                self.store.shards,
                self.shard_set,
                self.settings.shard_lease_seconds,
                on_lost=self._shard_lost,
            )
            await keeper.claim()
            self.shard_keeper = keeper
            keeper.start()
        self.guild_settings = GuildSettingsService(self.store, self.settings)
        await self.guild_settings.start()  # hears other processes' changes (distributed mode)
        if self.settings.queue_backend == "redis":
            # Distributed mode: this process queues and follows; `bossctl worker`s run the jobs.
            from boss_bot.core.distributed import Tickets

            self.tickets = await Tickets.connect(self.settings)
            self.pipeline = self._pipeline(role="dispatcher", dispatch=self.tickets)
        else:
            self.pipeline = self._pipeline()
            if self._owns_manager:
                await self.manager.start()
        # Cancel on every status message, 🗑 on the last message of every post
        self.add_dynamic_items(CancelButton, DeleteButton)
        for name in self.extension_names:
            await self.load_extension(name)
        await self._load_owners()
        resumed = await self.pipeline.start()
        if resumed:
            log.info("resuming %d job(s) interrupted by the last stop", len(resumed))
        # The HTTP API (HTTP_ENABLED) runs in this event loop, beside the gateway. FastAPI is
        # imported only when it is on.
        if self.settings.http_enabled:
            from boss_bot.http import start_if_enabled

            self.api_server = await start_if_enabled(
                self.settings,
                self.store,
                gateway_connected=self.gateway_connected,
                pipeline=self.pipeline,
            )
        # Start-up is over (the gateway connects next): keep full collections short from now
        # on, and pay the one long collection now, before anyone is waiting (core/gc_pause.py).
        freeze_startup_objects()

    def _pipeline(self, **options: Any) -> Pipeline:
        return Pipeline(self.settings, self.manager, self.store, bus=self.bus,
                        telemetry=self.telemetry, host=self, owns=self.shard_set.owns,
                        **options)  # fmt: skip

    async def resolve_shards(self) -> ShardSet:
        """The shards this process runs: a plain bot's one connection counts as shard 0 of 1."""
        return ShardSet.every(1)

    def gateway_connected(self) -> bool:
        return self.is_ready() and not self.is_closed()

    async def _shard_lost(self, lost: ShardLeaseError) -> None:
        """Another process took one of our shards over: stop (in a task of its own, since
        closing stops the keeper that calls this) rather than answer its servers twice."""
        self.stop_error = lost
        # Not tracked with the background tasks: close() cancels those.
        self._lost_close = asyncio.create_task(self.close(), name="shard-lost-close")

    async def adopt(self, job: Job, request: JobRequest, reason: AdoptReason) -> Attachment | None:
        """The pipeline's JobHost: see :func:`boss_bot.bot.delivery.adopt_job`."""
        from boss_bot.bot.delivery import adopt_job

        return await adopt_job(self, job, request, reason)

    # -- StatusHost (boss_bot.bot.delivery) ---------------------------------------------------
    async def ready(self) -> bool:
        try:
            await asyncio.wait_for(self.wait_until_ready(), READY_TIMEOUT)
        except TimeoutError:
            return False
        return True

    async def job_channel(self, job: Job) -> Any:
        if job.channel_id is None:
            return None
        channel = self.get_channel(job.channel_id)
        if channel is not None:
            return channel
        try:
            return await self.fetch_channel(job.channel_id)
        except discord.HTTPException:
            return None

    async def channel_file_limit(self, channel: Any, job: Job) -> int:
        guild = getattr(channel, "guild", None)
        return guild.filesize_limit if guild is not None else DM_FILE_LIMIT

    def track(self, task: asyncio.Task[Any]) -> None:
        """Keep a reference to a background task until it ends (asyncio only holds weak ones)."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)

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
        log.info("connected as %s to %d guild(s) on shard(s) %s", self.user, len(self.guilds),
                 self.shard_set)  # fmt: skip

    async def close(self) -> None:
        """Stop jobs (their files are cleaned up; they stay in the database and resume on the
        next start), let their status messages say so, stop our workers, then disconnect."""
        if not self._closing_started:
            self._closing_started = True
            if self.api_server is not None:
                await self.api_server.stop()
            pipeline = getattr(self, "pipeline", None)
            if pipeline is not None:
                await pipeline.close()
                waiting = [s.done.wait() for s in list(self.statuses)]
                if waiting:
                    await asyncio.wait(
                        [asyncio.ensure_future(w) for w in waiting], timeout=_STATUS_FLUSH_SECONDS
                    )
            for task in list(self._background):
                task.cancel()
            if self._owns_manager:
                await self.manager.close()
            if getattr(self, "guild_settings", None) is not None:
                await self.guild_settings.close()
            if self.tickets is not None:
                await self.tickets.close()
            if self.shard_keeper is not None:
                await self.shard_keeper.close()  # the shards are free for another process
            if self._owns_store and getattr(self, "store", None) is not None:
                await self.store.close()
        await super().close()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before every re-IDENTIFY; only needed against real Discord's
        identify rate limit, so it is skipped when talking to another server."""
        if self.settings.discord_gateway_url is None:
            await super().before_identify_hook(shard_id, initial=initial)


class BossBot(BossBotBase, commands.AutoShardedBot):
    """The bot ``bossctl run`` starts: one gateway connection per shard this process runs
    (``SHARD_IDS``, all by default) out of ``SHARD_COUNT``."""

    def __init__(self, settings: BossSettings, **options: Any) -> None:
        count, ids = settings.shard_count, settings.shard_ids
        options.setdefault("shard_count", None if count == "auto" else count)
        options.setdefault("shard_ids", list(ids) if ids is not None else None)
        super().__init__(settings, **options)

    async def resolve_shards(self) -> ShardSet:
        """``SHARD_COUNT=auto`` is resolved here, from ``/gateway/bot``: the leases need the
        count before the gateway, and discord.py, left to ask itself, would connect to the URL
        that names instead of ``DISCORD_GATEWAY_URL``."""
        if self.shard_count is None:
            self.shard_count, _url, _limits = await self.http.get_bot_gateway()
        return ShardSet(tuple(self.shard_ids or range(self.shard_count)), self.shard_count)

    def gateway_connected(self) -> bool:
        return super().gateway_connected() and all(
            not shard.is_closed() for shard in self.shards.values()
        )
