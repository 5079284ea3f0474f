"""Animated GIF -> smaller GIF (or mp4 when no acceptable GIF fits): real ffmpeg, and the
search maths without it."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from compression_helpers import FFMPEG, FFPROBE, decodes, duration, ffmpeg_children, streams

from boss_bot.core.compression import compress_to_fit
from boss_bot.core.compression import planning as p
from boss_bot.core.compression.gif import gif_loop_option
from boss_bot.core.compression.video import METHOD as MP4_METHOD
from boss_bot.core.models import ProgressEvent
from boss_bot.core.settings import BossSettings

KIB = 1024


def frame_count(path: Path) -> int:
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return int(out.stdout.strip())


def first_frame_alpha(path: Path, width: int, x: int, y: int) -> int:
    res = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "rgba", "-"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return res.stdout[(y * width + x) * 4 + 3]


def assert_acceptable_gif(out: Path, budget: int, source: Path) -> dict:
    """Under budget, an animated GIF that decodes, as long as the source, not below the
    minimum acceptable size."""
    assert out.suffix == ".gif"
    assert out.stat().st_size <= budget
    assert decodes(out)
    video = streams(out, "video")[0]
    assert video["codec_name"] == "gif"
    assert frame_count(out) > 1
    assert abs(duration(out) - duration(source)) <= 0.5
    src = streams(source, "video")[0]
    min_scale = p.gif_min_scale(src["width"], src["height"])
    assert video["width"] >= int(src["width"] * min_scale)
    assert video["height"] >= int(src["height"] * min_scale)
    return video


# --- real ffmpeg -------------------------------------------------------------------------------


async def test_gif_over_budget_becomes_a_smaller_gif(
    clean_gif: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 150 * KIB
    assert clean_gif.stat().st_size > budget
    events: list[ProgressEvent] = []
    res = await compress_to_fit(
        clean_gif, budget, dest_dir=tmp_path / "out", settings=settings, on_progress=events.append
    )
    assert res.paths == [tmp_path / "out" / "clean.gif"]
    video = assert_acceptable_gif(res.path, budget, clean_gif)
    assert res.method == "gif" and res.kind == "video"
    assert res.path.suffix == ".gif"
    assert (res.width, res.height) == (video["width"], video["height"])
    assert res.final_bytes == res.path.stat().st_size <= budget
    assert res.final_bytes >= 0.8 * budget  # the search aims at 0.95, stops from 0.90
    assert 1 <= res.passes <= p.GIF_MAX_ENCODES
    assert events and all(e.status == "compressing" for e in events)
    assert sorted(x.name for x in (tmp_path / "out").iterdir()) == [res.path.name]
    assert gif_loop_option(res.path) == 0  # the source loops forever, so does the output


async def test_gif_output_name_never_overwrites_the_input(
    clean_gif: Path, tmp_path: Path, settings: BossSettings
) -> None:
    src = tmp_path / "clip.gif"
    src.write_bytes(clean_gif.read_bytes())
    res = await compress_to_fit(src, 150 * KIB, dest_dir=tmp_path, settings=settings)
    assert res.path == tmp_path / "clip.small.gif"
    assert src.read_bytes() == clean_gif.read_bytes()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["clip.gif", "clip.small.gif"]


async def test_transparent_gif_stays_transparent(
    transparent_gif: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 100 * KIB
    assert transparent_gif.stat().st_size > budget
    res = await compress_to_fit(transparent_gif, budget, dest_dir=tmp_path, settings=settings)
    assert res.method == "gif"
    video = assert_acceptable_gif(res.path, budget, transparent_gif)
    w = video["width"]
    assert first_frame_alpha(res.path, w, 5, 5) == 0  # left columns: transparent
    assert first_frame_alpha(res.path, w, w - 5, 5) == 255


async def test_gif_whose_budget_is_too_small_for_an_acceptable_gif_becomes_mp4(
    animated_gif: Path, tmp_path: Path, settings: BossSettings
) -> None:
    # the noisy 319x241 GIF: its smallest acceptable GIF (212x160) is ~290 KB, so a GIF is
    # tried (within GIF_SKIP_FACTOR) and found over budget, then the mp4 path takes over
    budget = 200 * KIB
    gif_tried: list[bool] = []

    def on_progress(event: ProgressEvent) -> None:
        gif_tried.append(any(tmp_path.glob(".compress-*/out.try*.gif")))

    res = await compress_to_fit(
        animated_gif, budget, dest_dir=tmp_path, settings=settings, on_progress=on_progress
    )
    assert any(gif_tried)
    assert res.method == MP4_METHOD
    assert res.path == tmp_path / "anim.mp4"
    assert res.final_bytes == res.path.stat().st_size <= budget
    assert decodes(res.path)
    video = streams(res.path, "video")[0]
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert abs(duration(res.path) - duration(animated_gif)) <= 0.5
    assert res.passes >= 2  # the GIF trial is counted with the mp4 encodes
    assert sorted(x.name for x in tmp_path.iterdir()) == ["anim.mp4"]


async def test_cancel_mid_gif_encode_kills_ffmpeg_and_leaves_nothing(
    big_gif: Path, tmp_path: Path, settings: BossSettings
) -> None:
    in_trial = asyncio.Event()

    def on_progress(event: ProgressEvent) -> None:
        # the palette pass reports progress too: wait for a GIF trial encode
        if any(tmp_path.glob(".compress-*/out.try*.gif")):
            in_trial.set()

    task = asyncio.create_task(
        compress_to_fit(
            big_gif, 3 << 20, dest_dir=tmp_path, settings=settings, on_progress=on_progress
        )
    )
    await asyncio.wait_for(in_trial.wait(), timeout=60)
    assert ffmpeg_children(), "ffmpeg should be running mid-encode"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ffmpeg_children() == []
    assert list(tmp_path.iterdir()) == []


def test_gif_loop_setting_is_read_from_the_source(tmp_path: Path) -> None:
    for loop in (0, -1, 3):
        out = tmp_path / f"loop{loop}.gif"
        subprocess.run(
            [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=32x32:r=5:d=1",
             "-loop", str(loop), str(out)],
            check=True, timeout=60,
        )  # fmt: skip
        assert gif_loop_option(out) == loop


# --- the search maths ----------------------------------------------------------------------------


def test_gif_rates_cap_at_50_fps_and_halve_only_above_the_floor() -> None:
    assert p.gif_rates(24) == (None, 12)
    assert p.gif_rates(10) == (None, None)  # 5 fps would be a slide show
    assert p.gif_rates(60) == (30, 15)
    assert p.gif_rates(100) == (50, 25)


def test_gif_min_scale_is_half_or_160px_short_side() -> None:
    assert p.gif_min_scale(1280, 720) == 0.5
    assert p.gif_min_scale(320, 240) == pytest.approx(160 / 240)
    assert p.gif_min_scale(200, 120) == 1.0  # already under 160 px: no smaller


def test_gif_plan_scales_first_then_halves_the_rate() -> None:
    full = p.gif_plan(640, 480, 24, 1.0)
    assert (full.width, full.height, full.fps, full.fraction) == (640, 480, None, 1.0)
    smaller = p.gif_plan(640, 480, 24, 0.64)
    assert (smaller.width, smaller.height, smaller.fps) == (512, 384, None)
    assert smaller.fraction == pytest.approx(0.64)
    half = p.gif_plan(640, 480, 24, 0.45)  # below GIF_HALF_RATE_BELOW: 12 fps, bigger again
    assert half.fps == 12 and half.width > smaller.width * 0.9
    assert half.fraction == pytest.approx(0.45, rel=0.02)
    floor = p.gif_plan(640, 480, 24, 0.0)
    assert (floor.width, floor.height, floor.fps) == (320, 240, 12)
    assert p.gif_min_fraction(640, 480, 24) == pytest.approx(0.125)
    # a 10 fps GIF is never slowed; it only gets smaller, down to the minimum
    slow = p.gif_plan(320, 240, 10, 0.0)
    assert (slow.height, slow.fps) == (160, None)


def test_first_gif_fraction_skips_hopeless_gifs() -> None:
    assert p.first_gif_fraction(200_000, 150_000, 0.4) == pytest.approx(
        (0.95 * 150_000 / 200_000) ** (1 / p.GIF_SIZE_EXPONENT)
    )
    assert p.first_gif_fraction(10_000_000, 150_000, 0.4) is None  # > 4x over even at 0.4
    assert p.first_gif_fraction(1_000_000, 150_000, 0.4) == 0.4  # try the smallest once


def test_next_gif_fraction_search() -> None:
    target, q_min = 100_000, 0.2
    # good fill, or a full-size GIF that fits: stop
    assert p.next_gif_fraction([(0.5, 95_000)], target, q_min) is None
    assert p.next_gif_fraction([(1.0, 50_000)], target, q_min) is None
    # the smallest acceptable GIF is over: stop (mp4)
    assert p.next_gif_fraction([(0.5, 400_000), (q_min, 130_000)], target, q_min) is None
    # over, and the model says even the smallest is far over: give up without trying it
    assert p.next_gif_fraction([(0.6, 1_000_000)], target, q_min) is None
    # over by a little: go down, not below the minimum
    down = p.next_gif_fraction([(0.6, 120_000)], target, q_min)
    assert down is not None and q_min <= down < 0.6
    # well under: go up, at most to 1
    up = p.next_gif_fraction([(0.3, 40_000)], target, q_min)
    assert up is not None and 0.3 < up <= 1.0
    # bracketed: strictly between the fit and the miss
    mid = p.next_gif_fraction([(0.6, 120_000), (0.4, 70_000)], target, q_min)
    assert mid is not None and 0.4 < mid < 0.6
    # a narrow bracket is not worth another encode
    assert p.next_gif_fraction([(0.52, 101_000), (0.5, 85_000)], target, q_min) is None
