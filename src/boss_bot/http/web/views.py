"""What the pages show of a job: plain values computed here, so templates only lay them out.

A job's live progress comes from two places: the store (status, stage, times: true in every
process) and the event bus (bytes, speed, percent, batch: only for jobs running in this process,
see :class:`LiveState`). The progress cell shows whatever is known: bytes and speed while
downloading, a percentage while compressing, batch i/n while uploading.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from boss_bot.core.jobs import ACTIVE_STATUSES, CANCELLED, FAILED, FINAL_STATUSES, QUEUED, Job
from boss_bot.core.settings import ApiClient
from boss_bot.core.strategies import STRATEGIES
from boss_bot.http.auth import api_user_id
from boss_bot.http.web.render import duration, size

#: A bus progress report older than this no longer counts towards the total speed.
SPEED_FRESH_SECONDS = 5.0
#: Priorities the buttons and the form allow (the bot's `$priority` takes the same range).
MIN_PRIORITY, MAX_PRIORITY = -10, 10

STAGE_LABELS = {
    "queued": "queued",
    "starting": "starting",
    "downloading": "downloading",
    "compressing": "compressing",
    "uploading": "uploading",
    "succeeded": "done",
    "failed": "failed",
    "cancelled": "cancelled",
}
METHOD_LABELS = {
    "api": "API path (the tool as a library, in a warm worker)",
    "cli": "CLI path (the tool's command line)",
    "cli_fallback": "CLI fallback (the API path failed, the command line served it)",
}


@dataclass
class LiveState:
    """The latest of a job's bus events (stage and progress), as one level."""

    stage: str | None = None
    done: int | None = None
    total: int | None = None
    speed: float | None = None
    percent: float | None = None
    batch: int | None = None
    batches: int | None = None
    filename: str | None = None
    at: float = 0.0

    def apply(self, event: dict[str, Any]) -> None:
        """Fold one bus event in (a ``stage`` event or a ``progress`` event)."""
        kind = event.get("type")
        self.at = float(event.get("at") or time.time())
        if kind == "stage":
            stage = str(event.get("stage"))
            if stage != self.stage:
                self.done = self.total = self.speed = self.percent = None
                self.batch = self.batches = None
            self.stage = stage
            self._take(event.get("done_bytes"), event.get("total_bytes"), event.get("speed"))
            if event.get("percent") is not None:
                self.percent = float(event["percent"])
            if event.get("batch") is not None:
                self.batch, self.batches = int(event["batch"]), int(event.get("batches") or 0)
        elif kind == "progress":
            status = event.get("status")
            done, total = event.get("downloaded_bytes"), event.get("total_bytes")
            if status == "downloading":
                self.stage = "downloading"
                self._take(done, total, event.get("speed"))
            elif status == "finished" and self.stage == "downloading":
                self.done = self.total or self.done
                self.speed = None
            elif status == "compressing":
                self.stage = "compressing"
                if done is not None and total:
                    self.percent = max(0.0, min(100.0, 100.0 * done / total))
        if event.get("filename"):
            self.filename = str(event["filename"])

    def _take(self, done: Any, total: Any, speed: Any) -> None:
        if done is not None:
            self.done = int(done)
        if total is not None:
            self.total = int(total)
        if speed is not None:
            self.speed = float(speed)

    def speed_now(self, now: float) -> float:
        fresh = now - self.at < SPEED_FRESH_SECONDS
        return (self.speed or 0.0) if self.stage == "downloading" and fresh else 0.0


@dataclass(frozen=True)
class Progress:
    """One job's progress cell: a label, maybe a bar (``value`` None: indeterminate), a line."""

    label: str
    bar: bool
    value: float | None
    maximum: float | None
    detail: str
    elapsed: str

    @property
    def percent_text(self) -> str:
        if self.value is None or not self.maximum:
            return ""
        return f"{100 * self.value / self.maximum:.0f}%"


def progress_of(
    job: Job, live: LiveState | None, now: float, position: int | None = None
) -> Progress:
    if job.status == QUEUED:
        where = f"#{position} in the queue" if position else "waiting for a slot"
        return Progress(
            "queued", False, None, None, where, f"waiting {duration(now - job.created_at)}"
        )
    if job.status in FINAL_STATUSES:
        began = job.started_at or job.created_at
        took = duration((job.finished_at or now) - began)
        detail = (job.error_message or job.error_code or "") if job.status == FAILED else ""
        if job.status == "succeeded":
            return Progress("done", True, 1.0, 1.0, "", f"took {took}")
        return Progress(STAGE_LABELS[job.status], False, None, None, detail[:200], f"after {took}")
    stage = (live.stage if live is not None and live.stage else None) or job.stage
    elapsed = f"running {duration(now - (job.started_at or job.created_at))}"
    if live is None or live.stage != stage:
        return Progress(STAGE_LABELS.get(stage, stage), True, None, None, "", elapsed)
    if stage == "downloading":
        if live.done is None:
            return Progress("downloading", True, None, None, "", elapsed)
        speed = f" · {size(live.speed)}/s" if live.speed else ""
        if live.total:
            done = min(live.done, live.total)
            return Progress(
                "downloading",
                True,
                float(done),
                float(live.total),
                f"{size(done)} of {size(live.total)}{speed}",
                elapsed,
            )
        return Progress("downloading", True, None, None, f"{size(live.done)}{speed}", elapsed)
    if stage == "compressing" and live.percent is not None:
        return Progress("compressing", True, live.percent, 100.0, f"{live.percent:.0f}%", elapsed)
    if stage == "uploading" and live.batch and live.batches:
        return Progress(
            "uploading",
            True,
            float(live.batch),
            float(live.batches),
            f"batch {live.batch}/{live.batches}",
            elapsed,
        )
    return Progress(STAGE_LABELS.get(stage, stage), True, None, None, "", elapsed)


class People:
    """Labels for who asked: an API client's name for its (negative) id, else the user id."""

    def __init__(self, clients: list[ApiClient]) -> None:
        self._names = {api_user_id(c.name): c.name for c in clients}

    def label(self, user_id: int) -> str:
        name = self._names.get(user_id)
        if name is not None:
            return f"API: {name}"
        return "API client" if user_id < 0 else f"user {user_id}"


@dataclass(frozen=True)
class JobView:
    """One job as a row (live page, history) or a page header."""

    id: str
    url: str
    platform: str
    kind: str
    status: str
    stage: str
    requester: str
    guild: str
    priority: int
    position: int | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    error_code: str | None
    error_message: str | None
    progress: Progress
    can_cancel: bool = False
    can_retry: bool = False
    can_prioritise: bool = False

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def raise_to(self) -> int:
        return min(MAX_PRIORITY, self.priority + 1)

    @property
    def lower_to(self) -> int:
        return max(MIN_PRIORITY, self.priority - 1)


def job_view(
    job: Job,
    people: People,
    *,
    live: LiveState | None = None,
    position: int | None = None,
    now: float | None = None,
    writer: bool = False,
) -> JobView:
    at = time.time() if now is None else now
    return JobView(
        id=job.id,
        url=job.url,
        platform=job.platform,
        kind=job.kind,
        status=job.status,
        stage=job.stage,
        requester=people.label(job.user_id),
        guild="—" if job.guild_id is None else str(job.guild_id),
        priority=job.priority,
        position=position,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        error_code=job.error_code,
        error_message=job.error_message,
        progress=progress_of(job, live, at, position),
        can_cancel=writer and job.status in ACTIVE_STATUSES,
        can_retry=writer and job.status in (FAILED, CANCELLED),
        can_prioritise=writer and job.status == QUEUED,
    )


def tool_of(platform: str) -> str:
    """The tool boss-bot routes this platform's links to (the strategy's choice)."""
    for strategy in STRATEGIES:
        if strategy.name == platform:
            if strategy.tool == "auto":
                return "auto: gallery-dl when it has an extractor for the link, else yt-dlp"
            return str(strategy.tool)
    return "unknown"


def platform_names() -> list[str]:
    return [s.name for s in STRATEGIES]


__all__ = [
    "MAX_PRIORITY",
    "METHOD_LABELS",
    "MIN_PRIORITY",
    "JobView",
    "LiveState",
    "People",
    "Progress",
    "job_view",
    "platform_names",
    "progress_of",
    "tool_of",
]
