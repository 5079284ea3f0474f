"""Request directories and safe names: remote titles can never escape or hide."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from boss_bot.core.errors import UnsafePathError
from boss_bot.core.paths import (
    MAX_NAME_BYTES,
    atomic_write_bytes,
    clear_directory,
    ensure_inside,
    is_partial,
    new_request_dir,
    sanitize_filename,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ("/etc/passwd", "_etc_passwd"),
        ("a\x00b\x1fc.mp4", "a_b_c.mp4"),
        ("back\\slash:colon?.jpg", "back_slash_colon_.jpg"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("lpt1.mp4", "_lpt1.mp4"),
        ("...", "media"),
        (". .", "media"),
        ("", "media"),
        ("-rf --no-preserve-root.mp4", "rf --no-preserve-root.mp4"),
        (".hidden.mp4", "hidden.mp4"),
        ("clip.MP4", "clip.mp4"),
        ("Title: Part 2 [abc].webm", "Title_ Part 2 [abc].webm"),
    ],
)
def test_sanitize_filename(name: str, expected: str) -> None:
    assert sanitize_filename(name) == expected


@pytest.mark.parametrize("name", ["x" * 300 + ".mp4", "é" * 200 + ".jpg", "😀" * 120 + ".png"])
def test_long_names_are_cut_keeping_the_extension(name: str) -> None:
    safe = sanitize_filename(name)
    assert len(safe.encode()) <= MAX_NAME_BYTES
    assert safe.endswith(name.rsplit(".", 1)[1])
    safe.encode().decode("utf-8")  # never a split multi-byte character


def test_emoji_only_name_survives_as_a_valid_name() -> None:
    assert sanitize_filename("🎬🎬.mp4") == "🎬🎬.mp4"


def test_ensure_inside_rejects_escapes(tmp_path: Path) -> None:
    base = tmp_path / "req"
    base.mkdir()
    (base / "ok.mp4").write_bytes(b"x")
    assert ensure_inside(base, Path("ok.mp4")) == (base / "ok.mp4").resolve()
    with pytest.raises(UnsafePathError):
        ensure_inside(base, Path("../outside.mp4"))
    with pytest.raises(UnsafePathError):
        ensure_inside(base, Path("/etc/passwd"))
    (base / "link.mp4").symlink_to("/etc/passwd")
    with pytest.raises(UnsafePathError):
        ensure_inside(base, base / "link.mp4")


def test_request_dir_is_private_and_unique(tmp_path: Path) -> None:
    a = new_request_dir(tmp_path / "requests", "youtube")
    b = new_request_dir(tmp_path / "requests", "youtube")
    assert a != b and a.is_absolute()
    assert stat.S_IMODE(a.stat().st_mode) == 0o700
    assert a.name.startswith("youtube-")


def test_atomic_write_leaves_no_temp_and_is_private(tmp_path: Path) -> None:
    target = atomic_write_bytes(tmp_path / "f.bin", b"data", base=tmp_path)
    assert target.read_bytes() == b"data"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    with pytest.raises(UnsafePathError):
        atomic_write_bytes(tmp_path / ".." / "escape.bin", b"x", base=tmp_path)


def test_clear_directory_keeps_the_dir(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a").write_bytes(b"1")
    (tmp_path / "b.part").write_bytes(b"2")
    os.symlink("/etc", tmp_path / "link")
    clear_directory(tmp_path)
    assert tmp_path.is_dir() and list(tmp_path.iterdir()) == []
    assert Path("/etc").is_dir()  # the symlink was removed, not followed


@pytest.mark.parametrize(
    ("name", "partial"),
    [("a.mp4.part", True), ("a.f137.mp4.part-Frag3", True), ("a.ytdl", True), ("a.mp4", False)],
)
def test_is_partial(name: str, partial: bool) -> None:
    assert is_partial(Path(name)) is partial
