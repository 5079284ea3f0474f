"""Formatting the job list (pure)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from boss_bot.core.jobs import Job


def render_jobs(
    jobs: Sequence[Job],
    *,
    now: float | None = None,
    everyone: bool = False,
    positions: Mapping[str, int] | None = None,
) -> str:
    if not jobs:
        return "Nothing in flight." if everyone else "You have no jobs in flight."
    now = time.time() if now is None else now
    positions = positions or {}
    lines = []
    for job in jobs[:20]:
        age = now - job.created_at
        who = f" · <@{job.user_id}>" if everyone else ""
        stage = job.stage
        if job.status == "queued" and job.id in positions:
            stage = f"queued (position {positions[job.id]})"
        lines.append(f"`{job.id}` {stage} · {age:.0f} s · <{job.url}>{who}")
    if len(jobs) > 20:
        lines.append(f"… and {len(jobs) - 20} more")
    return "\n".join(lines)
