"""The pure pieces beside the cogs and the pipeline: rendering, throttling, registry, metrics,
learnt limits, link parsing, access rules, clean-up selection."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from pathlib import Path

import pytest

from boss_bot.bot.checks import download_refusal
from boss_bot.bot.exts.admin._cleanup import remove_dirs, stale_request_dirs
from boss_bot.bot.exts.downloads._links import split_links
from boss_bot.bot.progress import EditThrottle, StatusMessage, human_bytes, render_stage
from boss_bot.core.jobs import DownloadRecord, InMemoryJobRegistry, InMemoryMetrics, JobSpec
from boss_bot.core.jobs.metrics import percentile
from boss_bot.core.pipeline import LimitBook, Stage

MIB = 1024 * 1024


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_edit_throttle_waits_two_seconds_after_the_last_edit_finished() -> None:
    clock = FakeClock()
    throttle = EditThrottle(2.0, clock)
    assert throttle.delay() == 0.0  # nothing shown yet
    throttle.mark()
    clock.now += 0.5
    assert throttle.delay() == pytest.approx(1.5)
    clock.now += 1.5
    assert throttle.delay() == 0.0


async def test_status_message_coalesces_updates_and_finishes_at_once() -> None:
    edits: list[tuple[float, str]] = []

    async def edit(text: str, **_: object) -> None:
        edits.append((time.monotonic(), text))

    status = StatusMessage(EditThrottle(0.2))
    status.attach(edit, "start")
    attached = time.monotonic()
    for i in range(50):
        status.update(f"step {i}")
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.25)
    status.update("late")
    await status.finish("final")
    status.update("ignored after finish")
    await asyncio.sleep(0.3)
    texts = [t for _, t in edits]
    assert texts[-1] == "final"
    assert "ignored after finish" not in texts
    assert len(edits) <= 5  # 50 updates in ~0.5 s, at most one edit per 0.2 s + the final
    times = [attached] + [t for t, _ in edits[:-1]]
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(times))
    assert "step 49" in texts  # the latest state was shown before the final edit


def test_render_stages() -> None:
    assert render_stage(Stage("queued", "j", position=3)) == "⏳ Queued (position 3)"
    line = render_stage(
        Stage("downloading", "j", done_bytes=5 * MIB, total_bytes=20 * MIB, speed=2 * MIB)
    )
    assert line == "⬇️ Downloading: 5.0 MiB / 20.0 MiB (25%) at 2.0 MiB/s"
    assert render_stage(Stage("downloading", "j", done_bytes=1024)) == "⬇️ Downloading: 1.0 KiB"
    assert render_stage(Stage("compressing", "j", percent=41.6, filename="a.mp4")) == (
        "🗜️ Compressing a.mp4: 42%"
    )
    assert render_stage(Stage("uploading", "j", batch=1, batches=2)) == (
        "📤 Uploading: message 1 of 2"
    )
    assert human_bytes(512) == "512 B"


def test_registry_lifecycle_and_positions() -> None:
    reg = InMemoryJobRegistry()
    a, b, c = (reg.enqueue(JobSpec(url=f"https://x/{i}", owner_id=i % 2)) for i in range(3))
    assert [reg.position(j.id) for j in (a, b, c)] == [1, 2, 3]
    assert reg.claim(a.id) is not None and reg.position(a.id) is None
    assert [reg.position(j.id) for j in (b, c)] == [1, 2]
    assert reg.cancel(b.id, by=7).state.value == "cancelled"  # type: ignore[union-attr]
    assert reg.claim(b.id) is None  # a cancelled job is never started
    assert reg.position(c.id) == 1
    reg.complete(a.id)
    assert reg.complete(a.id).state.value == "done"  # first outcome wins
    assert reg.cancel(a.id) is not None and reg.get(a.id).state.value == "done"  # type: ignore[union-attr]
    assert [j.id for j in reg.list()] == [c.id]
    assert [j.id for j in reg.list(owner_id=0, active=False)] == [a.id, c.id]
    assert len({j.id for j in (a, b, c)}) == 3


def test_metrics_summary() -> None:
    metrics = InMemoryMetrics()
    assert metrics.summary().count == 0 and metrics.summary().success_rate is None
    for i in range(1, 21):
        metrics.record(DownloadRecord("youtube", "api" if i % 2 else "cli", float(i), 1, "success"))
    metrics.record(DownloadRecord("youtube", "", 99.0, 0, "network"))
    s = metrics.summary("youtube")
    assert (s.count, s.successes) == (21, 20)
    assert s.median_seconds == 10.5 and s.p95_seconds == 19.0
    assert s.by_method == {"api": 10, "cli": 10}
    assert metrics.summary("twitter").count == 0
    assert percentile([1.0], 95) == 1.0


def test_limit_book_steps_down_through_known_limits() -> None:
    book = LimitBook()
    assert book.effective("g", 50 * MIB) == 50 * MIB
    assert book.lower("g", 26 * MIB, 50 * MIB) == 10 * MIB  # below the refused 26 MiB
    assert book.effective("g", 50 * MIB) == 10 * MIB
    assert book.effective("other", 50 * MIB) == 50 * MIB
    assert book.lower("g", 9 * MIB, 10 * MIB) == 9 * MIB * 4 // 5  # nothing known below: 80 %
    assert book.lower(None, 9 * MIB, 10 * MIB) < 9 * MIB  # DMs: not recorded
    assert book.learnt("g") == 9 * MIB * 4 // 5


def test_split_links() -> None:
    assert split_links(["a", "b a", "upload=false"], True) == (["a", "b"], False)
    assert split_links(["x", "upload=yes"], False) == (["x"], True)
    assert split_links([], True) == ([], True)


def test_download_refusal_rules() -> None:
    ok = {"allowed_channels": [], "allowed_roles": []}
    assert download_refusal(1, None, [], **ok) is None
    rules = {"allowed_channels": [5], "allowed_roles": [9]}
    assert "channel" in download_refusal(1, None, [9], **rules)  # type: ignore[operator]
    assert download_refusal(1, 5, [9], **rules) is None  # a thread in an allowed channel
    assert "roles" in download_refusal(5, None, [3], **rules)  # type: ignore[operator]


def test_stale_request_dirs(tmp_path: Path) -> None:
    root = tmp_path / ".requests"
    old, busy, fresh = (root / n for n in ("old", "busy", "fresh"))
    for d in (old, busy, fresh):
        d.mkdir(parents=True)
        (d / "f").write_bytes(b"12345")
    long_ago = time.time() - 7200
    for d in (old, busy):
        os.utime(d, (long_ago, long_ago))
    assert stale_request_dirs(root, in_use=[busy]) == [old]
    assert remove_dirs([old]) == (1, 5)
    assert not old.exists() and busy.exists()
    assert stale_request_dirs(tmp_path / "missing") == []
