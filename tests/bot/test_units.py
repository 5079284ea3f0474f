"""The pure pieces beside the cogs and the pipeline: rendering, throttling, the job meter,
learnt limits, media keys, archive names, link and stats arguments, access rules, clean-up."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from pathlib import Path

import pytest

from boss_bot.bot.exts.admin._cleanup import remove_dirs, stale_request_dirs
from boss_bot.bot.exts.downloads._links import parse_words, split_links
from boss_bot.bot.exts.stats._render import parse_stats_args
from boss_bot.bot.progress import EditThrottle, StatusMessage, header, human_bytes, render_stage
from boss_bot.core.archive import archive_name, sidecar_for
from boss_bot.core.guilds import GuildSettings
from boss_bot.core.jobs import JobMeter, JobRequest, media_key_for
from boss_bot.core.jobs.limits import next_lower
from boss_bot.core.models import DownloadOptions, MediaFile, MediaMetadata
from boss_bot.core.pipeline import Stage

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


def test_job_meter_builds_the_metrics_row() -> None:
    meter = JobMeter(platform="youtube", guild_id=5)
    meter.method, meter.download_seconds, meter.bytes_downloaded = "api", 2.5, 1000
    meter.compressed(1000, 250, 4.0)
    meter.compressed(1000, 150, 2.0)
    meter.uploaded(300, 0.5)
    meter.uploaded(100, 0.25)
    m = meter.metrics("job1", "success")
    assert (m.compressed_files, m.compression_seconds, m.compression_ratio) == (2, 6.0, 0.2)
    assert (m.upload_seconds, m.bytes_uploaded, m.outcome, m.guild_id) == (0.75, 400, "success", 5)
    bare = JobMeter(platform="generic").metrics("job2", "network")
    assert (bare.compression_ratio, bare.compression_seconds, bare.upload_seconds) == (
        None, None, None,
    )  # fmt: skip


def test_learnt_limits_step_down_through_known_limits() -> None:
    assert next_lower(26 * MIB, 50 * MIB) == 10 * MIB  # below the refused 26 MiB
    assert next_lower(9 * MIB, 10 * MIB) == 9 * MIB * 4 // 5  # nothing known below: 80 %
    assert next_lower(60 * MIB, 50 * MIB) == 10 * MIB  # below the current limit too


def test_media_keys() -> None:
    yt = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert media_key_for(yt) == media_key_for("https://youtu.be/dQw4w9WgXcQ")
    assert media_key_for(yt).startswith("youtube:")
    assert media_key_for(yt, DownloadOptions(audio_only=True)) == media_key_for(yt) + "|audio"
    assert media_key_for(yt, DownloadOptions(quality="360p")) == media_key_for(yt)
    # No id known: the normalised URL (case of the host, default port, fragment don't matter).
    assert media_key_for("HTTP://Example.COM:80/a.jpg#x") == media_key_for(
        "http://example.com/a.jpg"
    )


def test_job_request_survives_the_database() -> None:
    from boss_bot.core.jobs import Job
    from boss_bot.core.store.job_rows import request_columns, request_of

    req = JobRequest(url="https://youtu.be/dQw4w9WgXcQ", user_id=3, kind="yt-playlist",
                     guild_id=4, channel_id=5, message_id=6, force=True,
                     options=DownloadOptions(quality="360p", playlist=True, max_items=3),
                     one_file_per_message=True)  # fmt: skip
    columns = request_columns(req)
    assert columns["platform"] == "youtube" and columns["media_key"] == req.media_key
    row = {name: None for name in Job.__dataclass_fields__}
    row.update(columns)
    job = Job(**{**row, "id": "x"})  # type: ignore[arg-type]
    assert request_of(job) == req


def test_archive_names() -> None:
    meta = MediaMetadata(platform="twitter", url="https://x.com/a/status/1", id="123",
                         title="A/title: with *stuff*?", author="../someone")  # fmt: skip
    one = MediaFile(filename="x.MP4", path=Path("/w/x.MP4"), file_type="video",
                    mime_type="video/mp4", size_bytes=1)  # fmt: skip
    rel = archive_name(meta, one, 1, 1)
    assert rel.parts[:2] == ("twitter", "_someone")  # no way out of the archive
    assert rel.name == "A_title_ with _stuff__-123.mp4"
    assert archive_name(meta, one, 2, 3).name == "A_title_ with _stuff__-123-02.mp4"
    anon = MediaMetadata(platform="generic", url="http://h/p.jpg")
    pic = MediaFile(filename="p.jpg", path=Path("/w/p.jpg"), file_type="image",
                    mime_type="image/jpeg", size_bytes=1)  # fmt: skip
    assert archive_name(anon, pic, 1, 1) == Path("generic/unknown/p.jpg")
    assert sidecar_for(Path("/a/b/c-1.mp4")) == Path("/a/b/c-1.info.json")


def test_header_keeps_a_note() -> None:
    assert header("j", "https://x") == "Job `j` · <https://x>"
    assert header("j", "https://x", "🔁 Resumed after a restart.").endswith(
        "\n🔁 Resumed after a restart."
    )


def test_stats_arguments() -> None:
    assert parse_stats_args(None, None) == (None, 7.0)
    assert parse_stats_args("youtube", "30") == ("youtube", 30.0)
    assert parse_stats_args("days=3", None) == (None, 3.0)
    assert parse_stats_args("14d", "twitter") == ("twitter", 14.0)
    assert parse_stats_args("all", "days=1") == (None, 1.0)
    with pytest.raises(ValueError, match="Unknown platform"):
        parse_stats_args("myspace", None)


def test_force_flags() -> None:
    assert parse_words(["a", "force=True"], upload=True, force=False) == (["a"], True, True)
    assert parse_words(["a", "--force", "upload=no"], upload=True, force=False) == (
        ["a"], False, True,
    )  # fmt: skip
    assert parse_words(["a", "force=false"], upload=True, force=True) == (["a"], True, False)


def test_split_links() -> None:
    assert split_links(["a", "b a", "upload=false"], True) == (["a", "b"], False)
    assert split_links(["x", "upload=yes"], False) == (["x"], True)
    assert split_links([], True) == ([], True)


def test_download_refusal_rules() -> None:
    assert GuildSettings().download_refusal(1, None, []) is None
    rules = GuildSettings(allowed_channels=(5,), allowed_roles=(9,))
    assert "channel" in rules.download_refusal(1, None, [9])  # type: ignore[operator]
    assert rules.download_refusal(1, 5, [9]) is None  # a thread in an allowed channel
    assert "roles" in rules.download_refusal(5, None, [3])  # type: ignore[operator]


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
