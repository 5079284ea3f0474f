"""bossctl compress, download --target-size, cleanup and dedup, checked on the files they touch."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from typer.testing import CliRunner

from boss_bot.cli.app import app
from boss_bot.core.jobs import JobRequest
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store
from tests.support.media import make_jpeg, make_mp4
from tests.support.media_server import MediaServer

runner = CliRunner()
DAY = 86_400


def ffprobe_duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(out.stdout)


def test_compress_fits_the_budget(tmp_path: Path) -> None:
    src = make_mp4(tmp_path / "noisy.mp4", seconds=2, noise=True, bitrate="1500k")
    assert src.stat().st_size > 200_000
    result = runner.invoke(
        app, ["compress", str(src), "--target-size", "150KB", "-o", str(tmp_path / "out"), "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    [out] = [Path(p) for p in payload["paths"]]
    assert out.parent == tmp_path / "out" and out.stat().st_size <= 150_000
    assert payload["final_bytes"] == out.stat().st_size
    assert abs(ffprobe_duration(out) - 2.0) < 0.5


def test_compress_bad_inputs(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not media at all\n" * 100)
    result = runner.invoke(app, ["compress", str(text), "--target-size", "1KB"])
    assert result.exit_code == 1
    assert result.exception is not None  # the handler in main() turns it into one line
    bad = runner.invoke(app, ["compress", str(text), "--target-size", "ten megs"])
    assert bad.exit_code == 2 and "not a size" in bad.output


def test_download_target_size_compresses(media_server: MediaServer, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["download", media_server.url("big.mp4"), "-o", str(tmp_path), "--target-size", "1MiB",
         "--json"],
        env={"ALLOW_PRIVATE_NETWORK_URLS": "true"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [meta] = json.loads(result.stdout)
    [f] = meta["files"]
    assert f["size_bytes"] <= 1024 * 1024
    assert [p.name for p in tmp_path.iterdir()] == [Path(f["path"]).name]


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(p, (then, then))


def test_cleanup_removes_only_stale_leftovers(tmp_path: Path) -> None:
    dl = tmp_path / "dl"
    requests = dl / ".requests"
    stale = requests / "generic-old"
    fresh = requests / "generic-new"
    busy = requests / "youtube-running"
    for d in (stale, fresh, busy):
        d.mkdir(parents=True)
        (d / "video.mp4").write_bytes(b"x" * 1000)
    part = dl / "archive" / "clip.mp4.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"y" * 500)
    keep = dl / "archive" / "kept.mp4"
    keep.write_bytes(b"z" * 10)
    for p in (stale, busy, part, keep):
        _age(p, 10 * DAY)
    settings = BossSettings(_env_file=None, data_dir=tmp_path / "data", download_dir=dl)  # type: ignore[call-arg]

    async def seed() -> None:
        store = await open_store(settings)
        job = await store.queue.enqueue(JobRequest(url="https://youtu.be/x", user_id=1))
        await store.queue.claim(job.id)
        await store.queue.set_stage(job.id, "downloading", work_dir=str(busy))
        await store.close()

    asyncio.run(seed())
    env = {"DATA_DIR": str(tmp_path / "data"), "DOWNLOAD_DIR": str(dl)}
    dry = runner.invoke(app, ["cleanup", "--older-than", "7d", "--dry-run", "--json"], env=env)
    report = json.loads(dry.stdout)
    assert {Path(r["path"]).name for r in report["removed"]} == {"generic-old", "clip.mp4.part"}
    assert report["freed_bytes"] == 1500 and stale.exists() and part.exists()

    real = runner.invoke(app, ["cleanup", "--older-than", "7d"], env=env)
    assert real.exit_code == 0 and "removed 2 item(s)" in real.stdout
    assert not stale.exists() and not part.exists()
    assert fresh.exists() and busy.exists() and keep.exists()


def test_cleanup_removes_files_kept_for_expired_links_and_reports_them(tmp_path: Path) -> None:
    dl = tmp_path / "dl"
    links = dl / ".links"
    now = int(time.time())
    expired = links / f"{now - 60}-aaaa" / "clip.mp4"
    fresh = links / f"{now + 3600}-bbbb" / "clip.mp4"
    for f in (expired, fresh):
        f.parent.mkdir(parents=True)
        f.write_bytes(b"v" * 700)
    env = {"DATA_DIR": str(tmp_path / "data"), "DOWNLOAD_DIR": str(dl)}
    # Expired links go whatever --older-than says; a fresh one (however old its file) stays.
    result = runner.invoke(app, ["cleanup", "--older-than", "30d", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(Path(r["path"]).name, r["expired_link"]) for r in report["removed"]] == [
        (expired.parent.name, True)
    ]
    assert report["freed_bytes"] == 700
    assert not expired.parent.exists() and fresh.exists()
    text = runner.invoke(app, ["cleanup"], env=env)
    assert text.exit_code == 0 and "removed 0 item(s)" in text.stdout


def test_dedup_scan_and_clean(tmp_path: Path) -> None:
    a = make_jpeg(tmp_path / "a.jpg", seed=1)
    b = tmp_path / "sub" / "b.jpg"
    b.parent.mkdir()
    shutil.copy(a, b)
    _age(a, DAY)  # a is the older copy: it is the one kept
    c = make_jpeg(tmp_path / "c.jpg", seed=2)
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "pixel.gif").write_bytes(b"GIF89a" + b"\x00" * 37)
    env = {"DATA_DIR": str(tmp_path / "data")}

    scan = runner.invoke(app, ["dedup", "scan", str(tmp_path), "--json"], env=env)
    found = json.loads(scan.stdout)
    assert found["duplicates"] == [[str(a), str(b)]]
    assert {Path(p["path"]).name for p in found["placeholders"]} == {"empty.mp4", "pixel.gif"}

    declined = runner.invoke(app, ["dedup", "clean", str(tmp_path)], env=env, input="n\n")
    assert declined.exit_code != 0 and b.exists()

    cleaned = runner.invoke(app, ["dedup", "clean", str(tmp_path), "--yes"], env=env)
    assert cleaned.exit_code == 0 and "deleted 3 file(s)" in cleaned.stdout
    assert a.exists() and c.exists() and not b.exists()
    assert not (tmp_path / "empty.mp4").exists() and not (tmp_path / "pixel.gif").exists()
