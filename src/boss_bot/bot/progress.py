"""The status message: what each stage looks like, and an edit throttle.

Discord rate-limits message edits (about 5 per 5 s per channel), and a download reports progress
many times a second, so the status message is edited **at most once every 2 s**, always with the
latest state, plus the final edit, which goes out at once. The rendering functions and
:class:`EditThrottle` are pure (tested without Discord); :class:`StatusMessage` is the small
async part that applies them to one message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from boss_bot.core.pipeline import JobResult, Stage

log = logging.getLogger(__name__)

#: Minimum seconds between two edits of one status message (the final edit is exempt).
EDIT_INTERVAL = 2.0
#: Discord's per-message content limit (kept short; summaries are cut well before it).
_MAX_CONTENT = 1900

Clock = Callable[[], float]
Editor = Callable[..., Awaitable[None]]


# --- rendering ------------------------------------------------------------------------------


def human_bytes(n: float | None) -> str:
    """``1536`` → ``1.5 KiB``; binary units, as Discord's limits are."""
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def human_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s"


def header(job_id: str, url: str, note: str | None = None) -> str:
    """The status message's first line(s); ``note`` (e.g. "resumed after a restart") stays
    visible through every later edit, the summary included."""
    # <url> suppresses Discord's link preview, which would otherwise resize the message.
    line = f"Job `{job_id}` · <{url}>"
    return f"{line}\n{note}" if note else line


def render_stage(stage: Stage) -> str:
    """One line for an in-flight stage."""
    if stage.name == "queued":
        where = f" (position {stage.position})" if stage.position else ""
        return f"⏳ Queued{where}"
    if stage.name == "downloading":
        if stage.done_bytes is None:
            return "⬇️ Downloading…"
        line = f"⬇️ Downloading: {human_bytes(stage.done_bytes)}"
        if stage.total_bytes:
            pct = min(100.0, 100 * stage.done_bytes / stage.total_bytes)
            line += f" / {human_bytes(stage.total_bytes)} ({pct:.0f}%)"
        if stage.speed:
            line += f" at {human_bytes(stage.speed)}/s"
        return line
    if stage.name == "compressing":
        what = f" {stage.filename}" if stage.filename else ""
        pct = f": {stage.percent:.0f}%" if stage.percent is not None else ""
        note = f" ({stage.note})" if stage.note else ""
        return f"🗜️ Compressing{what}{pct}{note}"
    if stage.name == "uploading":
        return f"📤 Uploading: message {stage.batch} of {stage.batches}"
    if stage.name == "cancelled":
        return "🚫 Cancelled."
    return f"… {stage.name}"


def render_result(result: JobResult, *, error_text: str | None = None) -> str:
    """The final status: a summary on success, the reason otherwise."""
    took = human_seconds(result.seconds)
    if result.outcome == "interrupted":
        return "⏸️ Interrupted: the bot is restarting. This job runs again when it is back."
    if result.outcome == "cancelled":
        return f"🚫 Cancelled after {took}. Nothing was kept."
    if result.outcome == "failed":
        lines = [f"❌ {error_text or 'The job failed.'}"]
        if result.saved_to is not None:
            lines.append(f"The downloaded files are kept in the archive: `{result.saved_to}`")
        if result.error is not None and result.error.code == "compression_failed":
            lines.append("Use `download-only` to keep the original in the archive instead.")
        return "\n".join(lines)
    if result.posted == 0 and result.saved_files:
        names = ", ".join(f"`{p.name}` ({human_bytes(p.stat().st_size)})"
                          for p in result.saved_files[:10] if p.exists())  # fmt: skip
        more = f" and {len(result.saved_files) - 10} more" if len(result.saved_files) > 10 else ""
        dupes = (
            f"\n{result.duplicates} of them already in the archive (same content): not stored "
            "twice."
            if result.duplicates
            else ""
        )
        return (
            f"✅ Saved {len(result.saved_files)} file(s) in {took}: {names}{more}\n"
            f"Where: `{result.saved_to}`{dupes}"
        )
    lines = [f"✅ Done in {took}: {result.posted} file(s) in {result.messages} message(s)."]
    for report in result.files[:10]:
        if report.method == "link":
            lines.append(f"• `{report.name}`: {human_bytes(report.original_bytes)}, posted as a "
                         "link (it works for a limited time)")  # fmt: skip
        elif report.compressed:
            parts = f", {report.parts} parts" if report.parts > 1 else ""
            pct = 100 * report.final_bytes / report.original_bytes if report.original_bytes else 100
            lines.append(
                f"• `{report.name}`: {human_bytes(report.original_bytes)} → "
                f"{human_bytes(report.final_bytes)} ({pct:.0f}%{parts})"
            )
        else:
            lines.append(f"• `{report.name}`: {human_bytes(report.final_bytes)}")
    if len(result.files) > 10:
        lines.append(f"• … and {len(result.files) - 10} more")
    if result.sensitive and result.spoilered:
        lines.append("Marked as sensitive by its source: posted behind spoilers.")
    if result.saved_to is not None:
        lines.append(f"Files kept in `{result.saved_to}`.")
    text = "\n".join(lines)
    return text if len(text) <= _MAX_CONTENT else text[: _MAX_CONTENT - 1] + "…"


# --- throttling -----------------------------------------------------------------------------


class EditThrottle:
    """When the next edit may go out: ``interval`` seconds after the previous one *finished*.

    Measuring from the end of the previous edit (not its start) keeps the gap as seen by
    Discord at least ``interval`` even when a request is slow.
    """

    def __init__(self, interval: float = EDIT_INTERVAL, clock: Clock = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._last: float | None = None

    def mark(self) -> None:
        """An edit (or the message's creation) just finished."""
        self._last = self.clock()

    def delay(self) -> float:
        """Seconds to wait before the next edit may start (0: now)."""
        if self._last is None:
            return 0.0
        return max(0.0, self._last + self.interval - self.clock())


class StatusMessage:
    """Coalesces status updates into throttled edits of one message.

    ``update`` only records the latest text and makes sure one flush is scheduled; ``finish``
    cancels any pending flush and edits at once with the final text. Until ``attach`` gives it
    the message's editor, updates are only remembered.
    """

    def __init__(self, throttle: EditThrottle | None = None) -> None:
        self.throttle = throttle or EditThrottle()
        self._edit: Editor | None = None
        self._pending: str | None = None
        self._shown: str | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._finished = False

    def attach(self, edit: Editor, shown: str) -> None:
        """The message exists now (showing ``shown``); later updates edit it."""
        self._edit = edit
        self._shown = shown
        self.throttle.mark()
        self._schedule()

    def update(self, text: str) -> None:
        if self._finished:
            return
        self._pending = text
        self._schedule()

    async def finish(self, text: str, **edit_kwargs: object) -> None:
        """The final edit, at once (not throttled); later updates are ignored."""
        self._finished = True
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if self._edit is None:
            return
        async with self._lock:
            await self._edit(text, **edit_kwargs)
            self._shown = text
            self.throttle.mark()

    def abandon(self) -> None:
        """Stop editing without a final edit: another process owns the message now (a worker
        took the job over). A pending throttled edit is dropped, so it cannot land after
        theirs."""
        self._finished = True
        if self._flusher is not None:
            self._flusher.cancel()

    def _schedule(self) -> None:
        if self._edit is None or self._finished:
            return
        if self._pending is None or self._pending == self._shown:
            return
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        while not self._finished and self._pending not in (None, self._shown):
            await asyncio.sleep(self.throttle.delay())
            if self._finished or self._edit is None:
                return
            async with self._lock:
                text = self._pending
                if text is None or text == self._shown:
                    return
                try:
                    await self._edit(text)
                    self._shown = text
                except Exception:  # a failed progress edit is not worth failing the job for
                    log.warning("status edit failed", exc_info=True)
                    self._shown = text
                finally:
                    self.throttle.mark()
