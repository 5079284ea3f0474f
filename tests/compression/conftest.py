"""Test media for the compression tests, generated once per session with real ffmpeg/Pillow.

Everything is a few seconds long and small in pixels so the whole suite stays quick on two
cores; noise makes the sources big (high bitrate) so that they really need compressing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from compression_helpers import ffmpeg
from PIL import Image

from boss_bot.core.settings import BossSettings

NOISE = "noise=alls=40:allf=t+u"
SRC_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p"]
SRC_AAC = ["-c:a", "aac", "-b:a", "192k"]


def _sine(seconds: float, freq: int = 440) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=f={freq}:d={seconds}:sample_rate=48000"]


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def settings() -> BossSettings:
    return BossSettings(_env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def noisy_720p(media: Path) -> Path:
    """3 s of 1280x720 noise at 30 fps with a stereo tone: needs every bit it gets."""
    out = media / "noisy.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=30:d=3,{NOISE}", *_sine(3),
           *SRC_X264, *SRC_AAC, "-ac", "2", "-shortest", str(out))  # fmt: skip
    return out


@pytest.fixture(scope="session")
def mixed_clip(media: Path) -> Path:
    """2 s clean test pattern then 2 s of noise (ABR must move bits to the end)."""
    out = media / "mixed.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=2",
           "-f", "lavfi", "-i", f"testsrc2=s=640x360:r=30:d=2,{NOISE}", *_sine(4),
           "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", "-map", "2:a",
           *SRC_X264, *SRC_AAC, "-shortest", str(out))  # fmt: skip
    return out


@pytest.fixture(scope="session")
def portrait_rotated(media: Path) -> Path:
    """Stored 640x360 (red left half, blue right half) with a 90° display rotation: players show
    it as 9:16 portrait with one colour on top and the other at the bottom."""
    stored = media / "portrait-stored.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=320x360:r=30:d=3",
           "-f", "lavfi", "-i", "color=c=blue:s=320x360:r=30:d=3", *_sine(3),
           "-filter_complex", "[0:v][1:v]hstack,noise=alls=12:allf=t+u[v]",
           "-map", "[v]", "-map", "2:a", *SRC_X264, *SRC_AAC, "-shortest", str(stored))  # fmt: skip
    out = media / "portrait.mp4"
    # ffmpeg 5.1 writes the display matrix from the rotate tag on a stream copy only.
    ffmpeg("-i", str(stored), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(out))
    return out


@pytest.fixture(scope="session")
def no_audio_clip(media: Path) -> Path:
    out = media / "silent.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=640x360:r=30:d=3,{NOISE}", *SRC_X264, str(out))
    return out


@pytest.fixture(scope="session")
def odd_size_clip(media: Path) -> Path:
    """Odd width and height: the output must still be even (yuv420p)."""
    out = media / "odd.mkv"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=640x360:r=25:d=2,scale=639:359,{NOISE}",
           "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv444p",
           str(out))  # fmt: skip
    return out


@pytest.fixture(scope="session")
def vp9_webm(media: Path) -> Path:
    out = media / "clip.webm"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=480x270:r=30:d=2,{NOISE}", *_sine(2),
           "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "8M",
           "-c:a", "libopus", "-shortest", str(out))  # fmt: skip
    return out


@pytest.fixture(scope="session")
def clip_60fps(media: Path) -> Path:
    out = media / "fast.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=60:d=2,{NOISE}", *_sine(2),
           *SRC_X264, *SRC_AAC, "-shortest", str(out))  # fmt: skip
    return out


@pytest.fixture(scope="session")
def long_small_clip(media: Path) -> Path:
    """6 s at 640x360: too long for a 48 KiB budget whole, fits in parts."""
    out = media / "long.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=640x360:r=30:d=6,{NOISE}", *_sine(6),
           *SRC_X264, *SRC_AAC, "-shortest", str(out))  # fmt: skip
    return out


@pytest.fixture(scope="session")
def audio_only(media: Path) -> Path:
    """5 s of stereo PCM (~1 MB)."""
    out = media / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=5:sample_rate=48000",
           "-f", "lavfi", "-i", "anoisesrc=d=5:c=pink:a=0.2:r=48000",
           "-filter_complex", "[0:a][1:a]amerge=inputs=2[a]", "-map", "[a]",
           "-c:a", "pcm_s16le", str(out))  # fmt: skip
    return out


@pytest.fixture(scope="session")
def animated_gif(media: Path) -> Path:
    out = media / "anim.gif"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=319x241:r=10:d=2,noise=alls=30:allf=t+u", str(out))
    return out


@pytest.fixture(scope="session")
def clean_gif(media: Path) -> Path:
    """2 s of a clean 320x240 test pattern at 20 fps (~200 KB): a smaller GIF can fit ~150 KiB."""
    out = media / "clean.gif"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=20:d=2", str(out))
    return out


@pytest.fixture(scope="session")
def transparent_gif(media: Path) -> Path:
    """Like clean_gif, with its left 100 columns fully transparent."""
    out = media / "transparent.gif"
    ffmpeg("-f", "lavfi", "-i",
           "testsrc2=s=320x240:r=20:d=2,format=rgba,"
           "geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,100),0,255)'",
           "-filter_complex", "[0:v]split[a][b];[a]palettegen[p];[b][p]paletteuse",
           str(out))  # fmt: skip
    return out


@pytest.fixture(scope="session")
def big_gif(media: Path) -> Path:
    """3 s of noisy 640x360 at 20 fps (~5 MB): each GIF encode of it takes a second or two."""
    out = media / "big.gif"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=20:d=3,noise=alls=20:allf=t+u", str(out))
    return out


@pytest.fixture(scope="session")
def png_alpha(media: Path) -> Path:
    """1200x800 noisy RGBA with a fully transparent left quarter."""
    out = media / "alpha.png"
    im = Image.effect_noise((1200, 800), 80).convert("RGB")
    im = Image.merge("RGBA", (*im.split(), Image.new("L", im.size, 255)))
    im.paste((0, 0, 0, 0), (0, 0, 300, 800))
    im.save(out)
    return out


@pytest.fixture(scope="session")
def noisy_png(media: Path) -> Path:
    """3000x2000 opaque PNG (the issue's binary-search example, ~10 MB)."""
    out = media / "big.png"
    noise = Image.effect_noise((3000, 2000), 40)
    im = Image.merge("RGB", (noise, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise))
    im.save(out, compress_level=1)
    return out


@pytest.fixture(scope="session")
def cmyk_jpeg(media: Path) -> Path:
    """CMYK JPEG, red left half, noisy so it is big."""
    out = media / "cmyk.jpg"
    im = Image.new("RGB", (800, 600), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 400, 600))
    noise = Image.effect_noise((800, 600), 30).convert("RGB")
    im = Image.blend(im, noise, 0.15)
    im.convert("CMYK").save(out, "JPEG", quality=100)
    return out


@pytest.fixture(scope="session")
def exif_rotated_jpeg(media: Path) -> Path:
    """Stored 800x600 red-left/blue-right, EXIF orientation 6 (turn 90° clockwise to show):
    displayed 600x800 with red on top."""
    out = media / "exif.jpg"
    im = Image.new("RGB", (800, 600), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 400, 600))
    noise = Image.effect_noise((800, 600), 30).convert("RGB")
    im = Image.blend(im, noise, 0.15)
    exif = Image.Exif()
    exif[0x0112] = 6
    im.save(out, "JPEG", quality=100, exif=exif.tobytes())
    return out


@pytest.fixture(scope="session")
def png_16bit(media: Path) -> Path:
    """1024x1024 16-bit grey (I;16): dark on the left, bright on the right, noisy so it is big."""
    out = media / "deep.png"
    ramp = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize((1024, 1024))
    ramp = Image.blend(ramp, Image.effect_noise((1024, 1024), 60), 0.2)
    ramp.convert("I").point(lambda v: v * 257).convert("I;16").save(out)
    return out


@pytest.fixture(scope="session")
def truncated_mp4(media: Path, no_audio_clip: Path) -> Path:
    """The first half of an mp4 whose index (moov) is at the end: unreadable."""
    data = no_audio_clip.read_bytes()
    out = media / "truncated.mp4"
    out.write_bytes(data[: len(data) // 2])
    return out


@pytest.fixture(scope="session")
def cut_faststart_mp4(media: Path) -> Path:
    """A +faststart mp4 cut to 40 %: the index is intact, most of the frames are gone."""
    full = media / "faststart.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=640x360:r=30:d=5,{NOISE}", *SRC_X264,
           "-movflags", "+faststart", str(full))  # fmt: skip
    data = full.read_bytes()
    out = media / "cut.mp4"
    out.write_bytes(data[: len(data) * 2 // 5])
    return out


@pytest.fixture(scope="session")
def garbage_mp4(media: Path) -> Path:
    out = media / "garbage.mp4"
    out.write_bytes(os.urandom(300_000))
    return out
