"""Pure planning maths: no files, no processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from boss_bot.core.compression import planning as p
from boss_bot.core.compression._job import Job, too_long
from boss_bot.core.compression.probe import AudioStream, MediaInfo, VideoStream
from boss_bot.core.compression.video import plan_for
from boss_bot.core.settings import MIB, BossSettings


def test_even_rounds_to_even_and_never_below_two() -> None:
    assert [p.even(x) for x in (0, 1, 359, 360, 361, 1079.9)] == [2, 2, 360, 360, 362, 1080]


def test_scaled_size_keeps_aspect_and_uses_short_side() -> None:
    assert p.scaled_size(1920, 1080, 720) == (1280, 720)
    assert p.scaled_size(1080, 1920, 480) == (480, 854)  # portrait: the short side is width
    assert p.scaled_size(640, 360, 720) == (640, 360)  # never upscales
    assert p.scaled_size(639, 359, None) == (640, 360)


def test_floor_is_the_setting_at_360p30_and_grows_with_pixel_rate() -> None:
    assert p.video_floor_kbps(640, 360, 30, 125) == pytest.approx(125)
    assert p.video_floor_kbps(1280, 720, 30, 125) == pytest.approx(250)
    assert p.video_floor_kbps(1280, 720, 60, 125) > p.video_floor_kbps(1280, 720, 30, 125)


def test_ladder_drops_frame_rate_before_resolution() -> None:
    rungs = p.ladder(1920, 1080, 60)
    assert rungs[0] == (1920, 1080, None)
    assert rungs[1] == (1920, 1080, 30)
    assert [h for _, h, _ in rungs[2:]] == [720, 480, 360]
    assert p.ladder(640, 360, 30) == [(640, 360, None)]


def test_audio_choice_is_a_share_with_floor_and_mono_when_low() -> None:
    assert p.choose_audio(3000, min_kbps=32, source_kbps=None, source_channels=2) == (128, 2)
    assert p.choose_audio(800, min_kbps=32, source_kbps=None, source_channels=2) == (64, 2)
    assert p.choose_audio(300, min_kbps=32, source_kbps=None, source_channels=2) == (32, 1)
    # never more than the source had
    assert p.choose_audio(3000, min_kbps=32, source_kbps=70, source_channels=2) == (64, 2)
    assert p.choose_audio(3000, min_kbps=32, source_kbps=None, source_channels=1)[1] == 1


def test_plan_spends_the_budget_minus_overhead() -> None:
    plan = p.plan_video(
        duration=20, width=1280, height=720, fps=30, target_bytes=8 * MIB, has_audio=True,
        min_video_kbps=125, min_audio_kbps=32,
    )  # fmt: skip
    assert plan is not None
    assert (plan.width, plan.height, plan.fps) == (1280, 720, None)
    total_bytes = (plan.video_kbps + (plan.audio_kbps or 0)) * 1000 / 8 * 20
    overhead = p.mp4_overhead_bytes(20, 30, True, 48000)
    assert 0.96 * 8 * MIB < total_bytes + overhead <= p.FIRST_AIM * 8 * MIB
    assert plan.maxrate_kbps == 2 * plan.video_kbps


def test_plan_steps_down_when_the_bitrate_is_tight_and_gives_up_at_the_floor() -> None:
    def plan(seconds: float) -> p.VideoPlan | None:
        return p.plan_video(
            duration=seconds, width=1920, height=1080, fps=60, target_bytes=10 * MIB,
            has_audio=True, min_video_kbps=125, min_audio_kbps=32,
        )  # fmt: skip

    heights = []
    for seconds in (30, 120, 200, 300, 400):
        got = plan(seconds)
        assert got is not None
        heights.append((got.height, got.fps))
    assert heights[0] == (1080, None)
    assert [h for h, _ in heights] == sorted([h for h, _ in heights], reverse=True)
    assert heights[-1][1] == 30
    assert plan(2 * 3600) is None  # 2 h in 10 MiB: below the floor even at 360p


def test_correction_always_lowers_the_video_bitrate() -> None:
    plan = p.VideoPlan(1280, 720, None, 3000, 128, 2, 20.0)
    budget = 8 * MIB
    lower = p.corrected_video_kbps(plan, budget + 1, budget)
    assert lower <= 0.98 * 3000
    much_lower = p.corrected_video_kbps(plan, int(budget * 1.5), budget)
    assert much_lower < lower


def test_parts_needed_is_the_smallest_count_that_fits() -> None:
    assert p.parts_needed(100, lambda d: d <= 34) == 3
    assert p.parts_needed(100, lambda d: d <= 1) is None


@pytest.mark.parametrize(
    ("seconds", "text"), [(7200, "2 h"), (5400, "1 h 30 min"), (720, "12 min"), (44.2, "45 s")]
)
def test_human_duration(seconds: float, text: str) -> None:
    assert p.human_duration(seconds) == text


def test_human_size() -> None:
    assert p.human_size(10 * MIB) == "10 MiB"
    assert p.human_size(1536 * 1024) == "1.5 MiB"


def test_two_hour_video_refusal_is_readable(tmp_path: Path) -> None:
    info = MediaInfo(
        path=tmp_path / "movie.mp4", size_bytes=2_000_000_000, format_name="mov,mp4",
        kind="video", duration=7200.0,
        video=VideoStream("h264", 1920, 1080, 30.0, 0, "yuv420p", None),
        audio=AudioStream("aac", 2, 48000, 128000),
    )  # fmt: skip
    job = Job(BossSettings(_env_file=None), info, tmp_path, 10 * MIB, None)  # type: ignore[call-arg]
    assert plan_for(job, 7200.0) is None
    err = too_long(job, tried_split=False)
    assert err.user_message == "a 2 h video cannot fit in 10 MiB at a watchable quality"


def test_preset_steps_slower_only_when_the_plan_is_starved_of_bits() -> None:
    low, high = p.LOW_BITS_PER_PIXEL / 2, p.LOW_BITS_PER_PIXEL * 2
    assert p.choose_preset("veryfast", high) == "veryfast"
    assert p.choose_preset("veryfast", p.LOW_BITS_PER_PIXEL) == "veryfast"
    assert p.choose_preset("veryfast", None) == "veryfast"
    assert p.choose_preset("veryfast", low) == "medium"
    assert p.choose_preset("ultrafast", low) == "faster"  # the setting stays the fast end
    assert p.choose_preset("medium", low) == "slow"  # never past SLOWEST_AUTO_PRESET ...
    assert p.choose_preset("fast", low) == "slow"
    assert p.choose_preset("slower", low) == "slower"  # ... and never faster than the setting


def test_plan_carries_bits_per_pixel_and_a_long_clip_gets_the_slower_preset() -> None:
    def plan(seconds: float) -> p.VideoPlan:
        got = p.plan_video(
            duration=seconds, width=1280, height=720, fps=30, target_bytes=8 * MIB,
            has_audio=True, audio_source_kbps=192, min_video_kbps=125, min_audio_kbps=32,
        )  # fmt: skip
        assert got is not None
        return got

    short, long = plan(20), plan(180)  # the benchmark's noisy and low-motion clips
    assert short.bits_per_pixel == pytest.approx(short.video_kbps * 1000 / (1280 * 720 * 30))
    assert p.choose_preset("veryfast", short.bits_per_pixel) == "veryfast"
    assert p.choose_preset("veryfast", long.bits_per_pixel) == "medium"
    # corrections keep the preset of the first plan
    assert long.with_video_kbps(10 * long.video_kbps).bits_per_pixel == long.bits_per_pixel


def test_video_command_uses_the_chosen_preset_and_the_tight_rate_tolerance(
    tmp_path: Path,
) -> None:
    from boss_bot.core.compression._ffmpeg import video_command

    settings = BossSettings(_env_file=None)  # type: ignore[call-arg]
    starved = p.VideoPlan(1280, 720, None, 320, 32, 1, 180.0, bits_per_pixel=0.012)
    cmd = video_command(
        settings, tmp_path / "in.mp4", tmp_path / "out.mp4", starved, source_size=(1280, 720)
    )
    assert cmd[cmd.index("-preset") + 1] == "medium"
    assert cmd[cmd.index("-x264-params") + 1] == "partitions=i8x8,i4x4:ratetol=0.25"
    rich = starved.with_video_kbps(3000)  # a correction of the same first plan: same preset
    cmd = video_command(
        settings, tmp_path / "in.mp4", tmp_path / "o.mp4", rich, source_size=(1280, 720)
    )
    assert cmd[cmd.index("-preset") + 1] == "medium"
    plenty = p.VideoPlan(1280, 720, None, 3000, 128, 2, 20.0, bits_per_pixel=0.11)
    cmd = video_command(
        settings, tmp_path / "in.mp4", tmp_path / "out.mp4", plenty, source_size=(1280, 720)
    )
    assert cmd[cmd.index("-preset") + 1] == "veryfast"
    assert cmd[cmd.index("-x264-params") + 1] == "ref=2:trellis=1:ratetol=0.25"
    assert "-threads" not in cmd  # x264 picks (one thread per core)
    pinned = BossSettings(_env_file=None, compression_ffmpeg_threads=1)  # type: ignore[call-arg]
    cmd = video_command(
        pinned, tmp_path / "in.mp4", tmp_path / "out.mp4", plenty, source_size=(1280, 720)
    )
    assert cmd[cmd.index("-threads") + 1] == "1"


def test_correction_interpolates_once_the_budget_is_bracketed() -> None:
    budget = 200 * 1024
    plan = p.VideoPlan(640, 360, None, 288, 32, 1, 4.0)
    # measured on the half easy / half noisy test clip: 353k -> 1.16x, 288k -> 0.906x
    tries = [(353, int(1.16 * budget)), (288, int(0.906 * budget))]
    got = p.next_video_kbps(plan, tries, budget)
    aim = p.CORRECTION_AIM * budget
    expected = 288 + (aim - 0.906 * budget) * (353 - 288) / ((1.16 - 0.906) * budget)
    assert got == pytest.approx(expected, abs=1)
    assert 288 < got < 353
    # a single point: scaled from it, as corrected_video_kbps does
    assert p.next_video_kbps(plan, tries[1:], budget) == p.corrected_video_kbps(
        plan, tries[1][1], budget
    )
    # never outside the bracket, even when the sizes say so
    assert p.next_video_kbps(plan, [(300, budget + 1), (299, budget)], budget) == 299
