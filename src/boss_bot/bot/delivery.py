"""The bot's half of a command's request: submitting it, and its status message.

Every download command ends in :func:`run_links`: each link is submitted to the core pipeline
(which persists it as a job, or answers "already posted here" with the earlier post's link, or
refuses it over a quota), gets a status message with a Cancel button that follows the job's
stages (throttled), and ends with the summary. The files go out through
:class:`~boss_bot.bot.uploader.DiscordUploader`.

A request made through an interaction (a slash command, "Download media", a user install in a
place the bot is not a member of) is answered through that interaction, and by DM once its
token runs out (:mod:`boss_bot.bot.interactions`).

Jobs the pipeline holds without a command behind them (resumed after a restart, retried from
Discord or ``bossctl``, or taken by a worker) come through :func:`adopt_job`: the old status
message is edited (or a new one posted) to say so, and the job's files go where it was asked.
An automatic-mode job has no status message: it is handed to its message's
:class:`~boss_bot.bot.quiet.QuietPost` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from boss_bot.bot.checks import admin_here, sensitive_action, server_rules
from boss_bot.bot.interactions import InteractionDelivery, delivery_for, reply_for
from boss_bot.bot.progress import render_stage
from boss_bot.bot.quiet import quiet_post_for
from boss_bot.bot.status import JobStatus, StatusHost
from boss_bot.bot.uploader import DiscordUploader
from boss_bot.core.errors import BossBotError, RefusedError
from boss_bot.core.jobs import Job, JobRequest
from boss_bot.core.models import DownloadOptions
from boss_bot.core.pipeline import (
    AdoptReason,
    AlreadyPosted,
    Attachment,
    JobResult,
    Stage,
)
from boss_bot.core.urls import check_url

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot
    from boss_bot.core.pipeline import Pipeline

log = logging.getLogger(__name__)

ADOPT_NOTES: dict[str, str] = {
    "resumed": "🔁 Resumed after a restart.",
    "restart": "🔁 Still queued after a restart.",
    "retry": "🔁 Retried.",
}


def already_posted_text(prior: AlreadyPosted, url: str, prefix: str) -> str:
    when = f"<t:{int(prior.posted_at)}:R>"
    where = prior.jump_url or f"(job `{prior.job_id}`)"
    return (
        f"Already posted here {when}: {where}\n"
        f"Use `{prefix}download <{url}> force=True` to post it again."
    )


async def start_request(
    bot: BossBot, ctx: commands.Context[BossBot], request: JobRequest, *, admin: bool
) -> JobStatus | None:
    """Submit one request and post its status message. None when answered from history.

    Raises :class:`~boss_bot.core.errors.RefusedError` (quota, full queue) for the caller to
    collect into one reply.
    """
    status = JobStatus(bot, None, request.url, request.user_id)
    delivery: InteractionDelivery | None = None
    if request.reply is not None:  # through the interaction, then by DM
        delivery = delivery_for(bot, request.reply, request.user_id)
        uploader = delivery.uploader() if request.upload else None
    else:
        uploader = DiscordUploader.for_context(ctx) if request.upload else None
    submitted = await bot.pipeline.submit(
        request, attachment=Attachment(uploader, status.on_stage), admin=admin, dispatch=False
    )
    if isinstance(submitted, AlreadyPosted):
        await _say(ctx, already_posted_text(submitted, request.url, bot.settings.command_prefix))
        return None
    first = await _queued_text(bot.pipeline, status, submitted.id)
    message: discord.Message | None = None
    try:
        if ctx.interaction is None:
            message = await ctx.reply(first, view=status.view, mention_author=False)
        else:
            message = await ctx.send(first, view=status.view)
    except discord.HTTPException:
        log.warning("job %s: could not post the status message", submitted.id, exc_info=True)
    if message is not None:
        await _keep_status(bot.pipeline, status, submitted.id, message, first)
    if delivery is not None:
        status.watch_handover(delivery)
    # Only now: a worker that takes the job edits this status message instead of posting one.
    await bot.pipeline.dispatch(submitted.id)
    return status


async def _queued_text(pipeline: Pipeline, status: JobStatus, job_id: str) -> str:
    """Bind ``status`` to the job and render its first line: queued, with its position."""
    status.bind(job_id)
    position = await pipeline.position(job_id)
    return status.text(render_stage(Stage("queued", job_id, position=position)))


async def _keep_status(
    pipeline: Pipeline, status: JobStatus, job_id: str, message: Any, shown: str
) -> None:
    """Follow the job in ``message``, and note it in the store, so whichever process runs
    or resumes the job edits this message instead of posting another."""
    status.attach(message, shown)
    with contextlib.suppress(Exception):
        await pipeline.note_status_message(job_id, message.id)


async def adopt_job(
    host: StatusHost, job: Job, request: JobRequest, reason: AdoptReason
) -> Attachment | None:
    """The pipeline's :class:`~boss_bot.core.pipeline.JobHost` hook: a job without a command
    behind it is about to run (resumed, retried, or taken by a worker). Edit its status message
    (or post one) and post its files in the channel it was asked in."""
    if not await host.ready():
        log.warning("job %s: Discord not reachable; cannot post", job.id)
        return None
    if request.reply is not None:
        return await _adopt_interaction(host, job, request, reason)
    channel = await host.job_channel(job)
    if channel is None:
        log.warning("job %s: channel %s is gone", job.id, job.channel_id)
        return None
    if request.auto and job.message_id is not None:
        return await _adopt_quietly(host, channel, job)
    key = "resumed" if reason == "restart" and job.resumed else reason
    status = JobStatus(host, job, job.url, job.user_id, note=ADOPT_NOTES.get(key))
    text = await _queued_text(host.pipeline, status, job.id)
    message: Any = None
    if job.status_message_id is not None:
        try:  # the old status message, so the channel is not left with a stale one
            message = await channel.get_partial_message(job.status_message_id).edit(
                content=text, view=status.view
            )
        except discord.HTTPException:
            message = None
    if message is None:
        try:
            ref = (
                channel.get_partial_message(job.message_id).to_reference(fail_if_not_exists=False)
                if job.message_id is not None
                else None
            )
            message = await channel.send(
                text,
                view=status.view,
                reference=ref,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException:
            log.warning("job %s: could not post its status", job.id, exc_info=True)
    if message is not None:
        await _keep_status(host.pipeline, status, job.id, message, text)
    host.track(asyncio.create_task(status.follow(), name=f"status-{job.id}"))
    uploader = None
    if request.upload:
        limit = await host.channel_file_limit(channel, job)
        uploader = DiscordUploader(channel.send, limit, job.user_id)
    return Attachment(uploader, status.on_stage)


async def _adopt_interaction(
    host: StatusHost, job: Job, request: JobRequest, reason: AdoptReason
) -> Attachment:
    """A job asked through an interaction: its follow-up status edited again (or, past the
    token's handover, a new status by DM), its files through the interaction or by DM."""
    assert request.reply is not None
    delivery = delivery_for(host, request.reply, job.user_id)
    key = "resumed" if reason == "restart" and job.resumed else reason
    status = JobStatus(host, job, job.url, job.user_id, note=ADOPT_NOTES.get(key))
    text = await _queued_text(host.pipeline, status, job.id)
    shown: Any = None
    try:
        if job.status_message_id is not None and not delivery.by_dm():
            message_id = job.status_message_id
            await delivery.edit(message_id, text, view=status.view)

            async def edit(content: str, **kwargs: object) -> None:
                await delivery.edit(message_id, content, **kwargs)

            status.message.attach(edit, text)
        else:
            shown = await delivery.send(text, view=status.view)
    except discord.HTTPException:
        log.warning("job %s: could not show its status", job.id, exc_info=True)
    if shown is not None:
        await _keep_status(host.pipeline, status, job.id, shown, text)
    status.watch_handover(delivery)
    host.track(asyncio.create_task(status.follow(), name=f"status-{job.id}"))
    return Attachment(delivery.uploader() if request.upload else None, status.on_stage)


async def _adopt_quietly(host: Any, channel: Any, job: Job) -> Attachment:
    """An automatic-mode job: ⏳ on its message again, its media as a reply to it."""
    post = quiet_post_for(host, channel.get_partial_message(job.message_id), job.guild_id)
    await post.begin()
    post.follow(job.id)
    limit = await host.channel_file_limit(channel, job)
    return Attachment(post.uploader(limit, job.user_id))


async def run_links(
    bot: BossBot,
    ctx: commands.Context[BossBot],
    links: list[str],
    *,
    kind: str,
    upload: bool = True,
    options: DownloadOptions | None = None,
    one_file_per_message: bool = False,
    force: bool = False,
    max_links: int = 5,
    requester: discord.abc.User | None = None,
) -> list[JobResult]:
    """Check each link, reply once for those refused, and run the rest as separate jobs.

    ``requester`` is who asked when it is not ``ctx.author`` ("Download media" on someone
    else's message)."""
    requester = requester or ctx.author
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
    admin = admin_here(bot, requester, ctx.guild)
    rules = await server_rules(bot, ctx.guild)  # None where no server settings apply
    on_sensitive = sensitive_action(rules, ctx.channel)
    reply = reply_for(ctx.interaction, bot.settings) if ctx.interaction is not None else None
    statuses: list[JobStatus] = []
    refusals: list[str] = []
    for url in accepted:  # one at a time, so the quota counts each job in order
        request = JobRequest(
            url=url,
            user_id=requester.id,
            kind=kind,
            guild_id=ctx.guild.id if ctx.guild is not None else None,
            channel_id=ctx.channel.id,
            message_id=ctx.message.id if ctx.interaction is None else None,
            options=options or DownloadOptions(),
            upload=upload,
            one_file_per_message=one_file_per_message,
            force=force,
            on_sensitive=on_sensitive,
            reply=reply,
            too_big=rules.too_big if rules else bot.settings.guild_default_too_big,
        )
        try:
            status = await start_request(bot, ctx, request, admin=admin)
        except RefusedError as exc:
            refusals.append(exc.user_message if len(accepted) == 1
                            else f"`{_short(url)}`: {exc.user_message}")  # fmt: skip
            continue
        if status is not None:
            statuses.append(status)
    if refusals:
        await _say(ctx, "\n".join(refusals))
    results = await asyncio.gather(*(s.follow() for s in statuses))
    return [r for r in results if r is not None]


async def _say(ctx: commands.Context[BossBot], text: str) -> None:
    if ctx.interaction is None:
        await ctx.reply(text, mention_author=False)
    else:
        await ctx.send(text)


def _short(link: str, limit: int = 80) -> str:
    text = link.replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"
