"""Success by platform × tool, from the metrics rows' tool attempts (pure: no I/O).

What an operator needs when a site changes under one tool: "twitter: gallery-dl failing since
Tuesday, yt-dlp serving". Per platform and tool, over the window: the jobs that tried the tool,
how many it served, how many it *failed* (it could not read the link, so the chain moved on),
how many it only relayed the site's answer for (private, removed, too large, a network error:
not the tool's fault), when it last served, when it last failed, and since when it has failed
without serving in between (the current streak).

:func:`primary_health` is ``bossctl doctor``'s view: of the last jobs a platform's primary tool
was tried first, how many it failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

#: doctor: how many of a primary tool's most recent jobs it judges, and the fewest it needs.
HEALTH_WINDOW = 20
HEALTH_MIN_JOBS = 5
#: A job's result for one tool it tried.
_RESULTS = ("success", "failed", "answered")


class ToolStats(BaseModel):
    """One platform × tool over the stats window. Times are UNIX seconds."""

    platform: str
    tool: str
    jobs: int
    succeeded: int
    failed: int
    #: The site's answer (private, removed, too large, …) or a transient error: not a failure.
    answered: int
    #: Jobs it served after the tool before it failed.
    as_fallback: int
    last_success: float | None
    last_failure: float | None
    #: The first failure since its last success (None: it served last, or never failed).
    failing_since: float | None


@dataclass(frozen=True)
class ToolHealth:
    """A platform's primary tool over its last jobs as the first tool (``bossctl doctor``)."""

    platform: str
    tool: str
    jobs: int
    failed: int
    #: Of the failed jobs, how many another tool served.
    rescued: int

    @property
    def failing(self) -> bool:
        """Failed more than half of its last jobs (with enough jobs to judge)."""
        return self.jobs >= HEALTH_MIN_JOBS and self.failed * 2 > self.jobs

    def line(self) -> str:
        share = self.failed / self.jobs if self.jobs else 0.0
        return (
            f"{self.platform}: {self.tool} failed {self.failed} of its last {self.jobs} jobs "
            f"({share:.0%}); another tool served {self.rescued} of them"
        )


def attempts_of(row: Any) -> list[tuple[str, str, str]]:
    """A row's ``tool_attempts`` as ``(tool, outcome, verdict)`` (none before 0007)."""
    found = getattr(row, "tool_attempts", None) or []
    return [(str(a[0]), str(a[1]), str(a[2])) for a in found if len(a) >= 3]


def _result(attempts: Sequence[tuple[str, str, str]], tool: str) -> str:
    """One job's result for ``tool``: success, failed, or answered."""
    verdicts = {v for t, _, v in attempts if t == tool}
    if "success" in verdicts:
        return "success"
    return "failed" if "failed" in verdicts else "answered"


@dataclass
class _Tally:
    jobs: int = 0
    results: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("success", "failed", "answered"), 0)
    )
    as_fallback: int = 0
    last_success: float | None = None
    last_failure: float | None = None
    failing_since: float | None = None

    def add(self, result: str, at: float, *, fallback: bool) -> None:
        self.jobs += 1
        self.results[result] += 1
        if result == "success":
            self.last_success = at
            self.failing_since = None
            self.as_fallback += fallback
        elif result == "failed":
            self.last_failure = at
            if self.failing_since is None:
                self.failing_since = at


def tool_stats(rows: Iterable[Any]) -> list[ToolStats]:
    """Per platform × tool (sorted), from metrics rows (``platform``, ``created_at``,
    ``tool_attempts``); rows without attempts (before 0007, no tool ran) are left out."""
    tallies: dict[tuple[str, str], _Tally] = {}
    for row in sorted(rows, key=lambda r: r.created_at):
        attempts = attempts_of(row)
        if not attempts:
            continue
        first = attempts[0][0]
        for tool in dict.fromkeys(t for t, _, _ in attempts):
            tally = tallies.setdefault((row.platform, tool), _Tally())
            tally.add(_result(attempts, tool), row.created_at, fallback=tool != first)
    return [
        ToolStats(
            platform=platform,
            tool=tool,
            jobs=t.jobs,
            succeeded=t.results["success"],
            failed=t.results["failed"],
            answered=t.results["answered"],
            as_fallback=t.as_fallback,
            last_success=t.last_success,
            last_failure=t.last_failure,
            failing_since=t.failing_since,
        )
        for (platform, tool), t in sorted(tallies.items())
    ]


def primary_health(
    rows: Iterable[Any], primaries: dict[str, tuple[str, ...]], *, window: int = HEALTH_WINDOW
) -> list[ToolHealth]:
    """For each platform and each of its primary tools: its last ``window`` jobs as the first
    tool tried (newest rows first, any order accepted), and how many it failed."""
    newest = sorted(rows, key=lambda r: r.created_at, reverse=True)
    health = []
    for platform, tools in primaries.items():
        for tool in tools:
            jobs = [
                a for r in newest if r.platform == platform
                and (a := attempts_of(r)) and a[0][0] == tool
            ][:window]  # fmt: skip
            failed = [a for a in jobs if _result(a, tool) == "failed"]
            rescued = sum(1 for a in failed if any(v == "success" for _, _, v in a))
            health.append(ToolHealth(platform, tool, len(jobs), len(failed), rescued))
    return health


__all__ = [
    "HEALTH_MIN_JOBS",
    "HEALTH_WINDOW",
    "ToolHealth",
    "ToolStats",
    "attempts_of",
    "primary_health",
    "tool_stats",
]
