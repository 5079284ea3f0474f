"""Video compression with real ffmpeg: budgets, ladder, rotation, formats, splitting."""

from __future__ import annotations

from pathlib import Path

import pytest
from compression_helpers import (
    decodes,
    duration,
    frame_rgb,
    is_blue,
    is_red,
    pixel,
    probe,
    streams,
)

from boss_bot.core.compression import CompressionResult, compress_to_fit
from boss_bot.core.errors import CompressionError
from boss_bot.core.models import ProgressEvent
from boss_bot.core.settings import BossSettings

KIB = 1024


def assert_playable_mp4(out: Path, budget: int, source: Path | None) -> dict:
    """Under budget, H.264/yuv420p in mp4 with faststart, even size, decodes, same duration."""
    assert out.suffix == ".mp4"
    assert out.stat().st_size <= budget
    assert decodes(out)
    video = streams(out, "video")[0]
    assert video["codec_name"] == "h264"
    assert video["pix_fmt"] == "yuv420p"
    assert video["width"] % 2 == 0 and video["height"] % 2 == 0
    head = out.read_bytes()[: 1 << 20]
    assert 0 <= head.find(b"moov") < head.find(b"mdat")  # +faststart: index first
    if source is not None:
        assert abs(duration(out) - duration(source)) <= 0.5
    return video


async def test_noisy_clip_lands_just_under_budget(
    noisy_720p: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 600 * KIB
    events: list[ProgressEvent] = []
    res = await compress_to_fit(
        noisy_720p, budget, dest_dir=tmp_path, settings=settings, on_progress=events.append
    )
    assert isinstance(res, CompressionResult)
    assert res.paths == [tmp_path / "noisy.mp4"]
    video = assert_playable_mp4(res.path, budget, noisy_720p)
    assert (video["width"], video["height"]) == (1280, 720)
    assert 0.95 * budget <= res.final_bytes <= budget
    assert res.final_bytes == res.path.stat().st_size
    assert res.original_bytes == noisy_720p.stat().st_size and res.ratio < 0.1
    assert res.kind == "video" and res.passes >= 1 and res.audio_kbps
    assert len(streams(res.path, "audio")) == 1
    # progress: compressing events whose fraction rises to the end
    assert events and all(e.status == "compressing" for e in events)
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions)  # type: ignore[type-var]
    assert fractions[-1] == pytest.approx(1.0, abs=0.05)
    assert [p.name for p in tmp_path.iterdir()] == ["noisy.mp4"]  # no temp files left


async def test_half_easy_half_noisy_clip_is_under_budget(
    mixed_clip: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 200 * KIB
    res = await compress_to_fit(mixed_clip, budget, dest_dir=tmp_path, settings=settings)
    assert_playable_mp4(res.path, budget, mixed_clip)
    # x264 with a VBV cap and frame threads is not bit-exact from run to run (the rate control
    # of a frame sees how far the frames still in flight have got, which depends on the
    # scheduler), so sizes move by ~0.5 % with the machine's load. This 4 s clip ends harder
    # than it starts: the first encode lands ~6 % over, and the correction (scaled from that
    # measurement, interpolated once one try was under and one over) lands at 0.97-0.98 however
    # the sizes fall. Before interpolation, a correction aimed from a single point could land
    # at 0.90 and an overshooting raise left that result (0.896 once under heavy load).
    assert res.final_bytes >= 0.9 * budget


async def test_rotated_portrait_keeps_its_orientation(
    portrait_rotated: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 150 * KIB
    res = await compress_to_fit(portrait_rotated, budget, dest_dir=tmp_path, settings=settings)
    assert_playable_mp4(res.path, budget, portrait_rotated)
    source = frame_rgb(portrait_rotated)  # as a player shows the input
    assert source[:2] == (360, 640)
    top, bottom = pixel(source, 180, 80), pixel(source, 180, 560)
    assert {is_red(top), is_red(bottom)} == {True, False}
    frame = frame_rgb(res.path)
    assert frame[:2] == (360, 640)  # 9:16 as displayed
    assert (res.width, res.height) == (360, 640)
    assert is_red(pixel(frame, 180, 80)) == is_red(top)
    assert is_blue(pixel(frame, 180, 80)) == is_blue(top)
    assert is_red(pixel(frame, 180, 560)) == is_red(bottom)
    assert is_blue(pixel(frame, 180, 560)) == is_blue(bottom)


async def test_clip_without_audio_stays_without_audio(
    no_audio_clip: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 150 * KIB
    res = await compress_to_fit(no_audio_clip, budget, dest_dir=tmp_path, settings=settings)
    assert_playable_mp4(res.path, budget, no_audio_clip)
    assert streams(res.path, "audio") == []
    assert res.audio_kbps is None


async def test_vp9_webm_becomes_h264_mp4(
    vp9_webm: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 120 * KIB
    assert vp9_webm.stat().st_size > budget
    res = await compress_to_fit(vp9_webm, budget, dest_dir=tmp_path, settings=settings)
    assert res.path == tmp_path / "clip.mp4"
    assert_playable_mp4(res.path, budget, vp9_webm)
    assert streams(res.path, "audio")[0]["codec_name"] == "aac"


async def test_60fps_clip_on_a_tight_budget_drops_to_30fps(
    clip_60fps: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 100 * KIB
    res = await compress_to_fit(clip_60fps, budget, dest_dir=tmp_path, settings=settings)
    video = assert_playable_mp4(res.path, budget, clip_60fps)
    num, den = (int(x) for x in video["avg_frame_rate"].split("/"))
    assert num / den == pytest.approx(30, abs=0.5)
    assert (video["width"], video["height"]) == (1280, 720)


async def test_odd_sized_yuv444_input_gets_even_yuv420p(
    odd_size_clip: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 100 * KIB
    res = await compress_to_fit(odd_size_clip, budget, dest_dir=tmp_path, settings=settings)
    video = assert_playable_mp4(res.path, budget, odd_size_clip)
    assert (video["width"], video["height"]) == (640, 360)


async def test_animated_gif_becomes_mp4(
    animated_gif: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 60 * KIB
    assert animated_gif.stat().st_size > budget
    res = await compress_to_fit(animated_gif, budget, dest_dir=tmp_path, settings=settings)
    # far too small for an acceptable GIF (see test_compression_gif): mp4, as any video
    assert res.path == tmp_path / "anim.mp4" and res.method == "h264+aac capped-abr"
    assert_playable_mp4(res.path, budget, animated_gif)
    assert streams(res.path, "audio") == []


async def test_too_long_video_is_split_into_playable_parts(
    long_small_clip: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 48 * KIB
    res = await compress_to_fit(
        long_small_clip, budget, dest_dir=tmp_path, settings=settings, allow_split=True
    )
    names = [p.name for p in res.paths]
    assert len(names) >= 2
    assert names == [f"long.part{i}of{len(names)}.mp4" for i in range(1, len(names) + 1)]
    total = 0.0
    for part in res.paths:
        assert_playable_mp4(part, budget, None)
        # each part opens on a keyframe of its own
        first = probe_first_frame_is_key(part)
        assert first
        total += duration(part)
    assert abs(total - duration(long_small_clip)) <= 0.5
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


def probe_first_frame_is_key(path: Path) -> bool:
    import subprocess

    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=flags",
         "-read_intervals", "%+#1", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return out.strip().splitlines()[0].startswith("K")


async def test_too_long_video_without_split_is_refused_readably(
    long_small_clip: Path, tmp_path: Path, settings: BossSettings
) -> None:
    with pytest.raises(CompressionError) as info:
        await compress_to_fit(long_small_clip, 48 * KIB, dest_dir=tmp_path, settings=settings)
    assert info.value.user_message == "a 6 s video cannot fit in 48 KiB at a watchable quality"
    assert list(tmp_path.iterdir()) == []


async def test_file_already_under_budget_is_returned_untouched(
    no_audio_clip: Path, tmp_path: Path, settings: BossSettings
) -> None:
    size = no_audio_clip.stat().st_size
    res = await compress_to_fit(no_audio_clip, size, dest_dir=tmp_path, settings=settings)
    assert res.method == "unchanged" and res.passes == 0
    assert res.paths == [no_audio_clip] and res.final_bytes == size
    assert (res.width, res.height) == (640, 360)
    assert list(tmp_path.iterdir()) == []


def test_probe_helper_sanity(noisy_720p: Path) -> None:
    assert probe(noisy_720p)["format"]["format_name"].startswith("mov")
