"""Success by platform × tool on the real store (SQLite and PostgreSQL): the split behind
``$stats``, ``bossctl stats`` and ``/api/v1/stats``, the text people read, and the primary
tool's health that ``bossctl doctor`` warns about."""

from __future__ import annotations

from boss_bot.core.stats_text import stats_fields, stats_lines
from boss_bot.core.store import Store
from boss_bot.core.store.tool_stats import ToolHealth, primary_health
from boss_bot.core.tools.fallback import ToolAttempt
from tests.support.tool_metrics import DAY, GDL_BROKEN, GDL_OK, NOW, record, seed_story

ALL_TIME = 3650.0  # the story is dated by hand, in the past


async def test_twitter_gallerydl_failing_since_tuesday_ytdlp_serving(store: Store) -> None:
    story = await seed_story(store)
    stats = await store.metrics.stats(days=ALL_TIME)
    split = {(t.platform, t.tool): t for t in stats.tools}
    assert set(split) == {
        ("twitter", "gallery-dl"),
        ("twitter", "yt-dlp"),
        ("reddit", "gallery-dl"),
    }

    gdl = split["twitter", "gallery-dl"]
    assert (gdl.jobs, gdl.succeeded, gdl.failed, gdl.answered) == (14, 3, 10, 1)
    assert gdl.last_success == story.last_gdl_success
    assert gdl.failing_since == story.first_gdl_failure  # the private tweet does not reset it
    assert gdl.last_failure == story.last_gdl_failure
    ydl = split["twitter", "yt-dlp"]
    assert (ydl.jobs, ydl.succeeded, ydl.failed, ydl.as_fallback) == (10, 10, 0, 10)
    assert ydl.failing_since is None and ydl.last_success == story.last_ytdlp_success
    reddit = split["reddit", "gallery-dl"]
    assert (reddit.jobs, reddit.succeeded, reddit.failing_since) == (6, 6, None)

    only = await store.metrics.stats(platform="twitter", days=ALL_TIME)
    assert {t.platform for t in only.tools} == {"twitter"}

    lines = stats_lines(stats)
    assert "  twitter gallery-dl: 14 jobs, 3 served, 10 failed, 1 answered — failing since Tue " \
           "2025-12-09 09:00 UTC" in lines  # fmt: skip
    assert any(line.startswith("  twitter yt-dlp: 10 jobs, 10 served (10 as fallback), 0 failed "
                               "— serving, last ") for line in lines)  # fmt: skip
    tools = dict(stats_fields(stats))["Tools"]
    assert "twitter gallery-dl" in tools and "failing since Tue 2025-12-09" in tools


async def test_a_success_ends_the_streak(store: Store) -> None:
    await record(store, "bluesky", GDL_BROKEN, NOW - 3 * DAY, 1)
    await record(store, "bluesky", GDL_OK, NOW - 2 * DAY, 2)
    await record(store, "bluesky", GDL_BROKEN, NOW - DAY, 3)
    [gdl] = [t for t in (await store.metrics.stats(days=ALL_TIME)).tools if t.tool == "gallery-dl"]
    assert gdl.failing_since == NOW - DAY and gdl.last_success == NOW - 2 * DAY


async def test_primary_tool_health_reads_the_last_twenty_jobs(store: Store) -> None:
    await seed_story(store)
    health = await store.metrics.tool_health(
        {"twitter": ("gallery-dl",), "reddit": ("gallery-dl",), "youtube": ("yt-dlp",)}
    )
    by = {(h.platform, h.tool): h for h in health}
    twitter = by["twitter", "gallery-dl"]
    assert (twitter.jobs, twitter.failed, twitter.rescued, twitter.failing) == (14, 10, 10, True)
    assert twitter.line() == (
        "twitter: gallery-dl failed 10 of its last 14 jobs (71%); another tool served 10 of them"
    )
    assert by["reddit", "gallery-dl"].failing is False
    assert by["youtube", "yt-dlp"].jobs == 0 and not by["youtube", "yt-dlp"].failing


async def test_old_failures_fall_out_of_the_window(store: Store) -> None:
    """15 failures, then 15 successes: the last 20 hold 5 failures, not more than half."""
    for i in range(30):
        await record(store, "tiktok", GDL_BROKEN if i < 15 else GDL_OK, NOW - (30 - i) * 3600, i)
    [h] = await store.metrics.tool_health({"tiktok": ("gallery-dl",)})
    assert (h.jobs, h.failed, h.failing) == (20, 5, False)


def test_health_thresholds() -> None:
    assert not ToolHealth("x", "gallery-dl", 20, 10, 10).failing  # half is not more than half
    assert ToolHealth("x", "gallery-dl", 20, 11, 0).failing
    assert not ToolHealth("x", "gallery-dl", 4, 4, 0).failing  # too few jobs to judge


def test_jobs_where_another_tool_went_first_do_not_count() -> None:
    class Row:
        def __init__(self, at: float, attempts: tuple[ToolAttempt, ...]) -> None:
            self.platform, self.created_at, self.tool_attempts = "reddit", at, attempts

    vreddit = (ToolAttempt("yt-dlp", "extractor_error", "failed"),)
    rows = [Row(i, vreddit) for i in range(10)] + [Row(100 + i, GDL_OK) for i in range(6)]
    [gdl, ydl] = primary_health(rows, {"reddit": ("gallery-dl", "yt-dlp")})
    assert (gdl.jobs, gdl.failed) == (6, 0) and (ydl.jobs, ydl.failed, ydl.failing) == (
        10,
        10,
        True,
    )
