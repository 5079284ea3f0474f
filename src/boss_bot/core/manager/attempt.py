"""One download, tried until it works or cannot: retries, the egress tag, tools, paths.

* Retries: the whole attempt again, with exponential backoff, for retryable errors only.
* Egress: each attempt gets its own proxy credentials, so a redirect the guard refused is
  reported to this user as a blocked redirect rather than as the tool's vague failure.
* Tools: the platform's tools in order (:mod:`.chain`), the next one only after a failure
  another tool could fix (:func:`boss_bot.core.tools.fallback.decide`).
* Path, per tool: API-direct in a warm worker first (when enabled for the platform), then the
  CLI, except after a :data:`DEFINITIVE` answer, which no other path could change.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING

from boss_bot.core import paths
from boss_bot.core.errors import (
    AccessDeniedError,
    BlockedURLError,
    CorruptMediaError,
    DownloadError,
    FileTooLargeError,
    GeoBlockedError,
    MediaNotFoundError,
    MediaTooLongError,
    NoMediaFoundError,
    UnsupportedURLError,
)
from boss_bot.core.manager import cli_gallerydl, cli_ytdlp
from boss_bot.core.manager.chain import Record, run_chain
from boss_bot.core.manager.context import resolve_tool
from boss_bot.core.manager.watchdog import guarded
from boss_bot.core.tools import ytdlp

if TYPE_CHECKING:
    from boss_bot.core.egress import EgressGuard
    from boss_bot.core.errors import BossBotError
    from boss_bot.core.manager.api_path import ApiPath
    from boss_bot.core.manager.context import AttemptContext
    from boss_bot.core.manager.probe import ToolProbe
    from boss_bot.core.models import DownloadMethod, MediaMetadata
    from boss_bot.core.settings import BossSettings

# The package's logger (not this module's): log lines read as they always have.
log = logging.getLogger(__package__)

#: Errors that mean "this media cannot be had", whichever path asks: no CLI fallback for these.
DEFINITIVE = (
    MediaNotFoundError,
    AccessDeniedError,
    GeoBlockedError,
    FileTooLargeError,
    NoMediaFoundError,
    UnsupportedURLError,
    MediaTooLongError,
    BlockedURLError,
    CorruptMediaError,
)
BLOCKED_REDIRECT_MESSAGE = (
    "That link leads (through a redirect) to a private or local network address, which I won't "
    "fetch."
)


async def with_retries(
    settings: BossSettings,
    guard: EgressGuard | None,
    api: ApiPath,
    ctx: AttemptContext,
    probe: ToolProbe,
    record: Record,
) -> MediaMetadata:
    """Run attempts until one succeeds, the error is not retryable, or attempts run out.

    ``record`` is handed each tool's try of each attempt (for the job's metrics).
    """
    attempts = settings.download_max_attempts
    for attempt in range(1, attempts + 1):
        try:
            return await _behind_guard(settings, guard, api, ctx, probe, record)
        except DownloadError as exc:
            paths.clear_directory(ctx.work)
            if not exc.retryable or attempt == attempts:
                raise
            delay = settings.download_retry_base_delay_seconds * 2 ** (attempt - 1)
            log.warning("attempt %d/%d for %s failed (%s); retry in %.1fs",
                        attempt, attempts, ctx.url, exc, delay)  # fmt: skip
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


async def _behind_guard(
    settings: BossSettings,
    guard: EgressGuard | None,
    api: ApiPath,
    ctx: AttemptContext,
    probe: ToolProbe,
    record: Record,
) -> MediaMetadata:
    """One attempt with its own egress tag; a refusal by the guard outranks the tool's error
    (and ends the tool chain: no other tool may go where the guard refused)."""
    tag = guard.new_job_tag() if guard is not None else None
    if guard is not None and tag is not None:
        ctx = dataclasses.replace(ctx, proxy=guard.proxy_for(tag))

    def refine(exc: BossBotError) -> BossBotError:
        if guard is not None and tag is not None and (hit := guard.blocked(tag)):
            return BlockedURLError(
                f"egress guard refused {hit[0]}", user_message=BLOCKED_REDIRECT_MESSAGE
            )
        return exc

    async def step(tool_ctx: AttemptContext) -> MediaMetadata:
        return await _api_then_cli(settings, api, tool_ctx)

    try:
        return await run_chain(settings, ctx, probe, step, record, refine)
    except DownloadError as exc:
        if (refined := refine(exc)) is not exc:
            raise refined from None
        raise
    finally:
        if guard is not None and tag is not None:
            guard.forget(tag)


async def _api_then_cli(settings: BossSettings, api: ApiPath, ctx: AttemptContext) -> MediaMetadata:
    """API-direct (falling back to the CLI unless the answer was definitive) or the CLI."""
    options = ctx.options
    use_api = (
        options.force_method == "api"
        if options.force_method
        else settings.use_api_client(ctx.strategy.name)
    )
    if use_api:
        try:
            return await guarded(settings, api.download(ctx), ctx.work, "api")
        except DownloadError as exc:
            if (
                isinstance(exc, DEFINITIVE)
                or not settings.download_api_fallback_to_cli
                or options.force_method == "api"
            ):
                raise
            log.warning("API-direct download of %s failed (%s); falling back to the CLI",
                        ctx.url, exc)  # fmt: skip
            paths.clear_directory(ctx.work)
            method: DownloadMethod = "cli_fallback"
    else:
        method = "cli"
    return await guarded(settings, _via_cli(settings, ctx, method), ctx.work, method)


async def _via_cli(
    settings: BossSettings, ctx: AttemptContext, method: DownloadMethod
) -> MediaMetadata:
    """The CLI path of ``ctx.tool``: gallery-dl or yt-dlp ("auto": gallery-dl, then yt-dlp)."""
    tool = ctx.tool or resolve_tool(ctx.strategy, ctx.url)
    if tool != ytdlp.TOOL:
        try:
            return await cli_gallerydl.download(settings, ctx, method)
        except UnsupportedURLError:
            if tool != "auto":
                raise
            paths.clear_directory(ctx.work)  # "auto": no gallery-dl extractor → yt-dlp
    return await cli_ytdlp.download(settings, ctx, method)
