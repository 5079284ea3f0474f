"""A job's status message: its stages shown through throttled edits, then the summary.

Registered with its host (the bot, or a worker's REST host) while it lives, so a shutdown can
let the last edits go out. For a job asked through an interaction, the message is the
interaction's follow-up; when the interaction's token is about to expire with the job still
running, the status stops changing, one last follow-up says the result comes by DM, and the
summary is sent by DM (:meth:`JobStatus.watch_handover`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

import discord

from boss_bot.bot.errors import user_message_for
from boss_bot.bot.progress import StatusMessage, header, render_result, render_stage
from boss_bot.bot.views import cancel_view

if TYPE_CHECKING:
    from boss_bot.bot.interactions import InteractionDelivery
    from boss_bot.core.jobs import Job
    from boss_bot.core.pipeline import JobResult, Pipeline, Stage
    from boss_bot.core.settings import BossSettings

log = logging.getLogger(__name__)


class StatusHost(Protocol):
    """What a status message and an adopted job need from the process posting them: the bot
    (gateway) or a ``bossctl worker`` (REST only, :mod:`boss_bot.bot.remote`)."""

    settings: BossSettings
    pipeline: Pipeline
    statuses: set[JobStatus]

    def track(self, task: asyncio.Task[Any]) -> None: ...

    async def ready(self) -> bool:
        """Wait until Discord can be reached (False: gave up)."""
        ...

    async def job_channel(self, job: Job) -> Any:
        """The channel a job was asked in (something with ``send`` and
        ``get_partial_message``), or None when it is gone."""
        ...

    async def channel_file_limit(self, channel: Any, job: Job) -> int:
        """The per-file upload limit in that channel."""
        ...


class JobStatus:
    """One job's status message: see the module docstring."""

    def __init__(self, bot: StatusHost, job: Job | None, url: str, requester_id: int,
                 *, note: str | None = None) -> None:  # fmt: skip
        self.bot = bot
        self.url = url
        self.requester_id = requester_id
        self.note = note
        self.job_id = job.id if job is not None else "…"
        self.message = StatusMessage()
        self.done = asyncio.Event()
        self.view: discord.ui.View | None = None
        #: Asked through an interaction: where the summary goes once the token is gone.
        self.delivery: InteractionDelivery | None = None
        self._handover: asyncio.Task[None] | None = None
        self._by_dm = False

    def bind(self, job_id: str) -> None:
        self.job_id = job_id
        self.view = cancel_view(job_id, self.requester_id)
        self.bot.statuses.add(self)

    def text(self, line: str) -> str:
        return f"{header(self.job_id, self.url, self.note)}\n{line}"

    def on_stage(self, stage: Stage) -> None:
        if stage.name in ("queued", "downloading", "compressing", "uploading"):
            self.message.update(self.text(render_stage(stage)))
        elif stage.name == "handed_over":
            self.message.abandon()  # a worker edits the message from now on
            self._stop_watching()  # ... and watches the interaction's token itself

    def watch_handover(self, delivery: InteractionDelivery) -> None:
        """Asked through an interaction: near the token's end, hand over to DMs (if the job
        is still running then)."""
        self.delivery = delivery
        if delivery.by_dm():
            self._by_dm = True
            return
        self._handover = asyncio.create_task(
            self._hand_over(delivery), name=f"handover-{self.job_id}"
        )
        self.bot.track(self._handover)

    async def _hand_over(self, delivery: InteractionDelivery) -> None:
        await delivery.wait_for_handover()
        if self.done.is_set():
            return
        self._by_dm = True
        self.message.abandon()  # the token is about to be refused: no more edits
        log.info("job %s: interaction token near its end; the result goes by DM", self.job_id)
        await delivery.handover()

    def _stop_watching(self) -> None:
        if self._handover is not None and not self._handover.done():
            self._handover.cancel()

    def attach(self, message: discord.Message | discord.WebhookMessage, shown: str) -> None:
        async def edit(text: str, **kwargs: object) -> None:
            await message.edit(content=text, **kwargs)  # type: ignore[arg-type]

        self.message.attach(edit, shown)

    async def finish(self, result: JobResult) -> None:
        try:
            if self.view is not None:
                self.view.stop()
            if result.remote:
                self.message.abandon()  # a worker ran the job and made the final edit itself
                return
            error_text = None
            if result.error is not None:
                error_text = user_message_for(result.error) or "The job failed."
                log.info("job %s failed: %s (%s)", self.job_id, result.error.code, result.error)
            text = self.text(render_result(result, error_text=error_text))
            try:
                if self._by_dm and self.delivery is not None:
                    await (await self.delivery.dm()).send(text)
                else:
                    await self.message.finish(text, view=None)
            except discord.HTTPException:
                log.warning("job %s: could not post the final status", self.job_id, exc_info=True)
        finally:
            self._stop_watching()
            self.done.set()
            self.bot.statuses.discard(self)

    async def follow(self) -> JobResult | None:
        """Wait for the job's result and show it (never raises)."""
        try:
            result = await self.bot.pipeline.wait(self.job_id)
        except Exception:
            log.exception("job %s: no result", self.job_id)
            self.done.set()
            self.bot.statuses.discard(self)
            return None
        await self.finish(result)
        return result


__all__ = ["JobStatus", "StatusHost"]
