"""The stats page: ``$stats``' figures (the same :class:`~boss_bot.core.store.Stats`, laid out by
the same :func:`~boss_bot.core.stats_text.stats_fields`) and charts of the metrics rows per day.

Days are UTC dates, like ``$stats``' daily counts. Compression savings come from the files a job
recorded as compressed (their size before and after), so they count exactly what was shrunk.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from boss_bot.core.jobs.metrics import METHODS, SUCCESS
from boss_bot.core.stats_text import human_bytes, stats_fields
from boss_bot.core.store import Stats, Store
from boss_bot.http.web import charts, queries
from boss_bot.http.web.views import platform_names

#: The look-back choices the page offers (days).
DAY_CHOICES = (1, 7, 14, 30, 90)
DEFAULT_DAYS = 7


def _count(v: float) -> str:
    return f"{v:.0f}"


def _bytes(v: float) -> str:
    return human_bytes(v)


def _share(v: float) -> str:
    return f"{v:.0%}"


def day_names(since: float, now: float) -> list[str]:
    first = datetime.fromtimestamp(since, UTC).date()
    last = datetime.fromtimestamp(now, UTC).date()
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).date().isoformat()


@dataclass
class StatsPage:
    stats: Stats
    fields: list[tuple[str, str]]
    charts: list[charts.Chart]
    saved_bytes: int
    compressed_before: int


async def stats_page(store: Store, *, days: int, platform: str | None) -> StatsPage:
    now = time.time()
    since = now - days * 86_400
    stats = await store.metrics.stats(platform=platform, days=days)
    rows = await queries.metric_rows(store, since=since, platform=platform)
    shrunk = await queries.compressed_files(store, since=since, platform=platform)
    names = day_names(since, now)
    index = {name: i for i, name in enumerate(names)}
    n = len(names)

    jobs: dict[str, list[float]] = {}
    ok: dict[str, list[float]] = defaultdict(lambda: [0.0] * n)
    down, up = [0.0] * n, [0.0] * n
    methods: dict[str, float] = dict.fromkeys(METHODS, 0.0)
    order = {name: i for i, name in enumerate(platform_names())}
    for m in sorted(rows, key=lambda r: order.get(r.platform, len(order))):
        i = index.get(_day(m.created_at))
        if i is None:
            continue
        jobs.setdefault(m.platform, [0.0] * n)[i] += 1
        if m.outcome == SUCCESS:
            ok[m.platform][i] += 1
        down[i] += m.bytes_downloaded
        up[i] += m.bytes_uploaded
        if m.method in methods:
            methods[m.method] += 1
    rate = {
        p: [ok[p][i] / counts[i] if counts[i] else None for i in range(n)]
        for p, counts in jobs.items()
    }
    before, after = [0.0] * n, [0.0] * n
    for at, was, now_size in shrunk:
        i = index.get(_day(at))
        if i is not None:
            before[i] += was
            after[i] += now_size
    short = [name[5:] for name in names]  # MM-DD under the bars; the tables keep the year
    made = [
        charts.stacked_bars("jobs", "Jobs per day, by platform", short, jobs, _count),
        charts.lines("success", "Success rate per day, by platform", short, rate, _share),
        charts.split(
            "methods",
            "Download path: API, CLI, CLI fallback",
            [
                ("api", methods["api"]),
                ("cli", methods["cli"]),
                ("cli_fallback", methods["cli_fallback"]),
            ],
            _count,
        ),
        charts.grouped_bars(
            "bytes",
            "Bytes per day: downloaded and posted",
            short,
            {"downloaded": down, "posted": up},
            _bytes,
            charts.nice_bytes,
        ),
        charts.grouped_bars(
            "compression",
            "Compression per day: size before and after",
            short,
            {"before": before, "after": after},
            _bytes,
            charts.nice_bytes,
        ),
    ]
    for chart in made:
        for row, full in zip(chart.rows, names, strict=False):
            if chart.id != "methods":
                row[0] = full
    return StatsPage(
        stats=stats,
        fields=stats_fields(stats),
        charts=made,
        saved_bytes=int(sum(before) - sum(after)),
        compressed_before=int(sum(before)),
    )


__all__ = ["DAY_CHOICES", "DEFAULT_DAYS", "StatsPage", "day_names", "stats_page"]
