"""Formatting `yt-stats` (pure)."""

from __future__ import annotations

from boss_bot.core.jobs import MetricsSummary

METHODS = (("api", "API"), ("cli", "CLI"), ("cli_fallback", "CLI fallback"))


def render_stats(summary: MetricsSummary, *, platform: str = "YouTube") -> str:
    if summary.count == 0:
        return f"No {platform} downloads recorded yet."
    rate = summary.success_rate or 0.0
    lines = [
        f"**{platform} downloads**: {summary.count} ({summary.successes} ok, {rate:.0%} success)"
    ]
    if summary.median_seconds is not None and summary.p95_seconds is not None:
        lines.append(
            f"Duration: median {summary.median_seconds:.1f} s, p95 {summary.p95_seconds:.1f} s"
        )
    split = ", ".join(f"{label} {summary.by_method.get(key, 0)}" for key, label in METHODS)
    lines.append(f"Method: {split}")
    return "\n".join(lines)
