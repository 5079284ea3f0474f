"""Stats as plain lines, shared by ``bossctl stats`` and the bot's embeds."""

from __future__ import annotations

from datetime import UTC, datetime

from boss_bot.core.store.metrics import Stats
from boss_bot.core.store.tool_stats import ToolStats


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%a %Y-%m-%d %H:%M UTC")


def tool_line(t: ToolStats) -> str:
    """One platform × tool: "twitter gallery-dl: 20 jobs, 2 served, 18 failed — failing since
    Tue …" (failed: it could not read the link; answered: the site said no, not its fault)."""
    served = f"{t.succeeded} served" + (f" ({t.as_fallback} as fallback)" if t.as_fallback else "")
    answered = f", {t.answered} answered" if t.answered else ""
    line = f"{t.platform} {t.tool}: {t.jobs} jobs, {served}, {t.failed} failed{answered}"
    if t.failing_since is not None:
        return f"{line} — failing since {_when(t.failing_since)}"
    if t.last_success is not None:
        return f"{line} — serving, last {_when(t.last_success)}"
    return line


def stats_lines(s: Stats) -> list[str]:
    scope = s.platform or "all platforms"
    if s.count == 0:
        return [f"No downloads in the last {s.days:g} days ({scope})."]
    rate = f"{s.success_rate:.0%}" if s.success_rate is not None else "-"
    lines = [
        f"{scope}, last {s.days:g} days: {s.count} jobs, {s.succeeded} succeeded ({rate})",
        f"download time: median {_secs(s.median_seconds)}, p95 {_secs(s.p95_seconds)}",
        "methods: "
        + ", ".join(
            f"{name} {m.count} (median {_secs(m.median_seconds)})" for name, m in s.methods.items()
        ),
        f"bytes: {human_bytes(s.bytes_downloaded)} down, {human_bytes(s.bytes_uploaded)} up",
        f"compressions: {s.compressions}"
        + (
            f", median ratio {s.median_compression_ratio:.2f}" if s.median_compression_ratio else ""
        ),
    ]
    if s.top_failures:
        lines.append("top failures: " + ", ".join(f"{code} ×{n}" for code, n in s.top_failures))
    if s.fastest:
        lines.append("fastest: " + ", ".join(f"{t.job_id} {t.seconds:.1f} s" for t in s.fastest))
        lines.append("slowest: " + ", ".join(f"{t.job_id} {t.seconds:.1f} s" for t in s.slowest))
    if s.tools:
        lines.append("tools (platform × tool):")
        lines += [f"  {tool_line(t)}" for t in s.tools]
    return lines


def stats_title(s: Stats) -> str:
    scope = s.platform or "all platforms"
    return f"Downloads: {scope}, last {s.days:g} days"


def stats_fields(s: Stats) -> list[tuple[str, str]]:
    """(name, value) pairs for an embed: the same numbers as :func:`stats_lines`, grouped."""
    if s.count == 0:
        return []
    rate = f"{s.success_rate:.0%}" if s.success_rate is not None else "-"
    fields = [
        ("Jobs", f"{s.count} ({s.succeeded} succeeded, {rate})"),
        ("Download time", f"median {_secs(s.median_seconds)}, p95 {_secs(s.p95_seconds)}"),
        (
            "Methods",
            "\n".join(
                f"{name}: {m.count} (median {_secs(m.median_seconds)})"
                for name, m in s.methods.items()
            ),
        ),
        ("Bytes", f"{human_bytes(s.bytes_downloaded)} down, {human_bytes(s.bytes_uploaded)} up"),
        (
            "Compression",
            f"{s.compressions} file(s)"
            + (
                f", median ratio {s.median_compression_ratio:.2f}"
                if s.median_compression_ratio
                else ""
            ),
        ),
    ]
    if s.top_failures:
        fields.append(("Top failures", "\n".join(f"{code} ×{n}" for code, n in s.top_failures)))
    if s.fastest:
        fields.append(("Fastest", "\n".join(f"`{t.job_id}` {t.seconds:.1f} s" for t in s.fastest)))
        fields.append(("Slowest", "\n".join(f"`{t.job_id}` {t.seconds:.1f} s" for t in s.slowest)))
    if s.tools:
        fields.append(("Tools", "\n".join(tool_line(t) for t in s.tools)))
    return fields
