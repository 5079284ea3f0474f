"""``$stats``'s embed gets a full-width "Tools" field: each platform × tool, and since when a
failing tool has failed (the store's real numbers; the command itself is in test_commands)."""

from __future__ import annotations

from collections.abc import Callable

from boss_bot.bot.exts.stats._render import stats_embed
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store
from tests.support.tool_metrics import seed_story


async def test_stats_embed_has_the_tools_field(make_settings: Callable[..., BossSettings]) -> None:
    store = await open_store(make_settings())
    try:
        await seed_story(store)
        stats = await store.metrics.stats(days=3650)
    finally:
        await store.close()
    embed = stats_embed(stats, with_chart=False)
    [field] = [f for f in embed.fields if f.name == "Tools"]
    assert field.inline is False
    lines = (field.value or "").splitlines()
    assert (
        lines[0]
        == "reddit gallery-dl: 6 jobs, 6 served, 0 failed — serving, last Tue 2025-12-09 17:00 UTC"
    )
    assert lines[1].startswith("twitter gallery-dl: 14 jobs, 3 served, 10 failed, 1 answered — "
                               "failing since Tue 2025-12-09 09:00 UTC")  # fmt: skip
    assert lines[2].startswith("twitter yt-dlp: 10 jobs, 10 served (10 as fallback)")
