"""The per-attempt tool options, built once for both paths.

The API-direct and the CLI paths must ask the tools for the same thing (tests parse the command
lines to prove the adapters agree). What one attempt adds on top of the adapters (the platform's
options, its egress proxy, the duration filter) is built here, so neither path can drift.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boss_bot.core.tools import gallerydl

if TYPE_CHECKING:
    from boss_bot.core.manager.context import AttemptContext
    from boss_bot.core.settings import BossSettings


def ytdlp_extra(settings: BossSettings, ctx: AttemptContext) -> dict[str, Any]:
    """The platform's yt-dlp options plus the egress proxy and the duration filter."""
    extra: dict[str, Any] = dict(ctx.strategy.ytdlp_options)
    if ctx.proxy:
        extra["proxy"] = ctx.proxy
    if settings.max_duration_seconds:
        # "<=?" passes media whose duration is unknown; the filter runs before downloading.
        extra["match_filter"] = f"duration <=? {settings.max_duration_seconds}"
    return extra


def gallerydl_entries(settings: BossSettings, ctx: AttemptContext) -> list[gallerydl.ConfigEntry]:
    """gallery-dl's config entries for this attempt: the adapter's, the platform's, the proxy."""
    entries = gallerydl.config_entries(
        settings,
        ctx.options,
        ctx.work,
        category=ctx.strategy.name if ctx.strategy.name != "generic" else None,
        category_options=ctx.strategy.gallery_dl_options,
    )
    if ctx.proxy:
        entries.append(((), "proxy", ctx.proxy))
    return entries
