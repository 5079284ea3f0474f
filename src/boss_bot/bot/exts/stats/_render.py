"""Reading `$stats` arguments and building its embed (pure: no I/O)."""

from __future__ import annotations

import re

import discord

from boss_bot.core.stats_text import stats_fields, stats_title
from boss_bot.core.store.metrics import Stats
from boss_bot.core.strategies.registry import STRATEGIES

CHART_NAME = "stats.png"
DEFAULT_DAYS = 7.0
MAX_DAYS = 3650.0
_DAYS = re.compile(r"^(?:days=)?(\d+(?:\.\d+)?)d?$", re.IGNORECASE)
_EMBED_COLOUR = 0x5865F2


def platforms() -> list[str]:
    return sorted({s.name for s in STRATEGIES})


def parse_days(text: str) -> float | None:
    """``7``, ``7d`` or ``days=7`` → 7.0; None when ``text`` is not a day count."""
    m = _DAYS.fullmatch(text.strip())
    if m is None:
        return None
    return float(m.group(1))


def parse_stats_args(platform: str | None, days: str | None) -> tuple[str | None, float]:
    """``$stats [platform] [days=7]`` in either order; ``all`` means every platform.

    Raises ValueError with a message for people when an argument makes no sense.
    """
    words = [w for w in (platform, days) if w]
    chosen: str | None = None
    span = DEFAULT_DAYS
    for word in words:
        if (value := parse_days(word)) is not None:
            if not 0 < value <= MAX_DAYS:
                raise ValueError(f"`days` must be between 1 and {MAX_DAYS:g}.")
            span = value
        elif word.lower() == "all":
            chosen = None
        elif word.lower() in platforms():
            chosen = word.lower()
        else:
            raise ValueError(
                f"Unknown platform `{word}`; use one of: {', '.join(platforms())} (or all)."
            )
    return chosen, span


def stats_embed(stats: Stats, *, with_chart: bool) -> discord.Embed:
    embed = discord.Embed(title=stats_title(stats), colour=_EMBED_COLOUR)
    fields = stats_fields(stats)
    if not fields:
        scope = stats.platform or "any platform"
        embed.description = f"No downloads from {scope} in the last {stats.days:g} days."
    for name, value in fields:
        embed.add_field(name=name, value=value[:1024], inline=name not in ("Methods", "Tools"))
    if with_chart:
        embed.set_image(url=f"attachment://{CHART_NAME}")
        embed.set_footer(text="Left: jobs per day by outcome · right: median download time")
    return embed
