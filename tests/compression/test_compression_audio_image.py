"""Audio (Opus) and still images (Pillow in a worker process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from compression_helpers import decodes, duration, streams
from PIL import Image, ImageStat

from boss_bot.core.compression import compress_to_fit
from boss_bot.core.compression._pillow_worker import normalise
from boss_bot.core.settings import BossSettings

KIB = 1024


async def test_audio_becomes_opus_under_budget(
    audio_only: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 40 * KIB
    res = await compress_to_fit(audio_only, budget, dest_dir=tmp_path, settings=settings)
    assert res.kind == "audio" and res.path == tmp_path / "tone.ogg"
    assert 0.85 * budget <= res.path.stat().st_size <= budget
    assert decodes(res.path)
    assert streams(res.path, "audio")[0]["codec_name"] == "opus"
    assert streams(res.path, "video") == []
    assert abs(duration(res.path) - duration(audio_only)) <= 0.5
    assert (
        res.audio_kbps is not None and res.audio_kbps >= settings.compression_min_audio_bitrate_kbps
    )


async def test_audio_too_long_for_the_floor_is_split(
    audio_only: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 16 * KIB
    res = await compress_to_fit(
        audio_only, budget, dest_dir=tmp_path, settings=settings, allow_split=True
    )
    assert len(res.paths) >= 2
    for part in res.paths:
        assert part.stat().st_size <= budget and decodes(part)
    assert abs(sum(duration(p) for p in res.paths) - duration(audio_only)) <= 0.5


async def test_big_png_quality_is_found_by_binary_search(
    noisy_png: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 1_000_000
    res = await compress_to_fit(noisy_png, budget, dest_dir=tmp_path, settings=settings)
    assert res.kind == "image" and res.method == "jpeg" and res.path.suffix == ".jpg"
    size = res.path.stat().st_size
    assert 0.95 * budget <= size <= budget
    assert res.passes <= 8  # log2 of the quality range, not a linear walk
    with Image.open(res.path) as im:
        assert im.size == (3000, 2000)  # quality alone was enough: no downscale


async def test_png_with_alpha_keeps_transparency(
    png_alpha: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = png_alpha.stat().st_size // 4
    res = await compress_to_fit(png_alpha, budget, dest_dir=tmp_path, settings=settings)
    assert res.path.suffix == ".webp" and res.path.stat().st_size <= budget
    with Image.open(res.path) as im:
        im = im.convert("RGBA")
        scale = im.width / 1200
        assert im.getpixel((int(10 * scale), int(400 * scale)))[3] == 0
        assert im.getpixel((int(900 * scale), int(400 * scale)))[3] == 255


async def test_png_that_cannot_fit_by_quality_is_downscaled(
    png_alpha: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = 20 * KIB
    res = await compress_to_fit(png_alpha, budget, dest_dir=tmp_path, settings=settings)
    assert res.path.stat().st_size <= budget
    with Image.open(res.path) as im:
        assert im.width < 1200 and im.height < 800
        assert im.width / im.height == pytest.approx(1.5, abs=0.02)


async def test_cmyk_jpeg_becomes_rgb_with_right_colours(
    cmyk_jpeg: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = cmyk_jpeg.stat().st_size // 4
    res = await compress_to_fit(cmyk_jpeg, budget, dest_dir=tmp_path, settings=settings)
    assert res.path.stat().st_size <= budget
    with Image.open(res.path) as im:
        assert im.mode == "RGB"
        r, g, b = im.getpixel((100, 300))
        assert r > 150 and g < 110 and b < 110  # red stayed red
        r, g, b = im.getpixel((700, 300))
        assert b > 150 and r < 110  # blue stayed blue


async def test_exif_rotated_jpeg_is_turned_upright(
    exif_rotated_jpeg: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = exif_rotated_jpeg.stat().st_size // 3
    res = await compress_to_fit(exif_rotated_jpeg, budget, dest_dir=tmp_path, settings=settings)
    assert res.path.stat().st_size <= budget
    with Image.open(exif_rotated_jpeg) as src:
        shown = src.copy()
        from PIL import ImageOps

        shown = ImageOps.exif_transpose(shown)
        top_red = shown.getpixel((300, 100))[0] > 150
    with Image.open(res.path) as im:
        assert im.size == (600, 800)
        assert im.getexif().get(0x0112, 1) == 1  # no orientation left to apply twice
        top = im.getpixel((300, 100))
        bottom = im.getpixel((300, 700))
        assert (top[0] > 150) == top_red and (bottom[0] > 150) != top_red


async def test_16bit_png_is_scaled_not_clipped(
    png_16bit: Path, tmp_path: Path, settings: BossSettings
) -> None:
    budget = png_16bit.stat().st_size // 4
    res = await compress_to_fit(png_16bit, budget, dest_dir=tmp_path, settings=settings)
    assert res.path.stat().st_size <= budget
    with Image.open(res.path) as im:
        grey = im.convert("L")
        # region means: single pixels carry the source's noise
        left, middle, right = (
            ImageStat.Stat(grey.crop((x - 16, 496, x + 16, 528))).mean[0] for x in (32, 512, 992)
        )
    assert left < 60 and 90 < middle < 170 and right > 195


def test_normalise_handles_modes() -> None:
    assert normalise(Image.new("CMYK", (4, 4)))[0].mode == "RGB"
    assert normalise(Image.new("I;16", (4, 4), 65535))[0].getpixel((0, 0)) == 255
    assert normalise(Image.new("RGBA", (4, 4), (1, 2, 3, 255)))[0].mode == "RGB"
    im, alpha = normalise(Image.new("LA", (4, 4), (9, 0)))
    assert alpha and im.mode == "RGBA"
