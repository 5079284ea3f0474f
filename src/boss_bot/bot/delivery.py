"""The bot's half of a request: the uploader the pipeline calls, and the status message loop.

``run_request`` is what every download command ends in: submit the job to the core pipeline,
post a status message with a Cancel button, feed it the job's stages (throttled), and finish
it with the summary. :class:`DiscordUploader` posts one planned batch, streaming the files
from disk, and turns Discord's 413 / 40005 into the core's :class:`UploadTooLargeError`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from boss_bot.bot.errors import user_message_for
from boss_bot.bot.progress import StatusMessage, header, render_result, render_stage
from boss_bot.bot.views import CancelView
from boss_bot.core.errors import BossBotError
from boss_bot.core.jobs import JobSpec
from boss_bot.core.models import DownloadOptions
from boss_bot.core.pipeline import (
    JobRequest,
    JobResult,
    Stage,
    UploadBatch,
    UploadError,
    UploadTooLargeError,
)
from boss_bot.core.upload.limits import (
    DM_FILE_LIMIT,
    HTTP_PAYLOAD_TOO_LARGE,
    JSON_REQUEST_ENTITY_TOO_LARGE,
    MAX_MESSAGE_CONTENT,
)
from boss_bot.core.urls import check_url

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot

log = logging.getLogger(__name__)


def file_limit_for(ctx: commands.Context[BossBot]) -> int:
    """The per-file limit where ``ctx`` will post: the interaction's, the guild's, or a DM's."""
    if ctx.interaction is not None:
        limit = getattr(ctx.interaction, "filesize_limit", None)
        if isinstance(limit, int) and limit > 0:
            return limit
    if ctx.guild is not None:
        return ctx.guild.filesize_limit
    return DM_FILE_LIMIT


def caption(batch: UploadBatch) -> str:
    """``<url>`` plus which message of how many, and which parts of a split file."""
    bits = [f"<{batch.url}>"]
    if batch.total > 1:
        bits.append(f"message {batch.index}/{batch.total}")
    for f in batch.files:
        if f.parts:
            bits.append(f"`{f.source.name}` part {f.part}/{f.parts}")
    text = " · ".join(bits)
    return text if len(text) <= MAX_MESSAGE_CONTENT else text[: MAX_MESSAGE_CONTENT - 1] + "…"


class DiscordUploader:
    """Posts batches where the command was used (for slash commands: as follow-ups)."""

    def __init__(self, ctx: commands.Context[BossBot]) -> None:
        self.ctx = ctx
        self.file_limit = file_limit_for(ctx)
        self.limit_key = f"guild:{ctx.guild.id}" if ctx.guild is not None else None

    async def send(self, batch: UploadBatch) -> None:
        # discord.File with a path opens the file and streams it into the request; nothing is
        # read into memory here, and discord.py closes the files after the send.
        files = [discord.File(f.path, filename=f.name) for f in batch.files]
        try:
            await self.ctx.send(
                caption(batch), files=files, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException as exc:
            if exc.status == HTTP_PAYLOAD_TOO_LARGE or exc.code == JSON_REQUEST_ENTITY_TOO_LARGE:
                raise UploadTooLargeError(
                    f"HTTP {exc.status} / {exc.code}: {exc.text}",
                    user_message="Discord refused the files as too large.",
                ) from exc
            raise UploadError(
                f"HTTP {exc.status} / {exc.code}: {exc.text}",
                user_message=f"Discord refused the upload ({exc.status}: "
                f"{exc.text or 'no reason'}).",
            ) from exc
        finally:
            for f in files:
                f.close()


async def run_request(
    bot: BossBot, ctx: commands.Context[BossBot], request: JobRequest
) -> JobResult:
    """Run one job with a live status message; returns its result (never raises for it)."""
    status = StatusMessage()
    head = header("…", request.spec.url)

    def on_stage(stage: Stage) -> None:
        if stage.name in ("queued", "downloading", "compressing", "uploading"):
            status.update(f"{head}\n{render_stage(stage)}")

    uploader = DiscordUploader(ctx) if request.upload else None
    job = bot.pipeline.submit(request, uploader=uploader, on_stage=on_stage)
    head = header(job.id, request.spec.url)
    view = CancelView(
        job.id,
        ctx.author.id,
        lambda job_id, user_id: bot.pipeline.cancel(job_id, by=user_id),
        owner_ids=bot.admin_ids,
    )
    position = bot.pipeline.registry.position(job.id)
    first = f"{head}\n{render_stage(Stage('queued', job.id, position=position))}"
    message: discord.Message | None = None
    try:
        if ctx.interaction is None:
            message = await ctx.reply(first, view=view, mention_author=False)
        else:
            message = await ctx.send(first, view=view)
    except discord.HTTPException:
        log.warning("job %s: could not post the status message", job.id, exc_info=True)
    if message is not None:
        target = message

        async def edit(text: str, **kwargs: object) -> None:
            await target.edit(content=text, **kwargs)  # type: ignore[arg-type]

        status.attach(edit, first)
    result = await bot.pipeline.wait(job.id)
    view.stop()
    error_text = None
    if result.error is not None:
        error_text = user_message_for(result.error) or "The job failed."
        log.info("job %s failed: %s (%s)", job.id, result.error.code, result.error)
    final = f"{head}\n{render_result(result, error_text=error_text)}"
    try:
        await status.finish(final, view=None)
    except discord.HTTPException:
        log.warning("job %s: could not post the final status", job.id, exc_info=True)
    return result


async def run_links(
    bot: BossBot,
    ctx: commands.Context[BossBot],
    links: list[str],
    *,
    kind: str,
    upload: bool = True,
    options: DownloadOptions | None = None,
    one_file_per_message: bool = False,
    max_links: int = 5,
) -> list[JobResult]:
    """Check each link, reply once for those refused, and run the rest as separate jobs."""
    if not links:
        await _say(ctx, "Please give me a link.")
        return []
    if ctx.interaction is not None and not ctx.interaction.response.is_done():
        await ctx.defer()  # later sends are follow-ups, so concurrent jobs cannot race for it
    refused: list[str] = []
    accepted: list[str] = []
    for link in links[:max_links]:
        try:
            accepted.append(
                await check_url(link, allow_private=bot.settings.allow_private_network_urls)
            )
        except BossBotError as exc:
            refused.append(f"`{_short(link)}`: {exc.user_message}")
    if len(links) > max_links:
        refused.append(f"Only the first {max_links} links were taken.")
    if refused:
        await _say(ctx, "\n".join(refused))
    requests = [
        JobRequest(
            spec=JobSpec(
                url=url,
                owner_id=ctx.author.id,
                kind=kind,
                channel_id=ctx.channel.id,
                guild_id=ctx.guild.id if ctx.guild is not None else None,
            ),
            options=options or DownloadOptions(),
            upload=upload,
            one_file_per_message=one_file_per_message,
        )
        for url in accepted
    ]
    return list(await asyncio.gather(*(run_request(bot, ctx, r) for r in requests)))


async def _say(ctx: commands.Context[BossBot], text: str) -> None:
    if ctx.interaction is None:
        await ctx.reply(text, mention_author=False)
    else:
        await ctx.send(text)


def _short(link: str, limit: int = 80) -> str:
    text = link.replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"
