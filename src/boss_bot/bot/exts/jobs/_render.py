"""Formatting the job list (pure)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from boss_bot.core.jobs import Job


def render_jobs(jobs: Sequence[Job], *, now: float | None = None, everyone: bool = False) -> str:
    if not jobs:
        return "Nothing in flight." if everyone else "You have no jobs in flight."
    now = time.time() if now is None else now
    lines = []
    for job in jobs[:20]:
        age = now - job.created_at
        who = f" · <@{job.owner_id}>" if everyone else ""
        lines.append(f"`{job.id}` {job.stage} · {age:.0f} s · <{job.url}>{who}")
    if len(jobs) > 20:
        lines.append(f"… and {len(jobs) - 20} more")
    return "\n".join(lines)
