"""Download overhead: warm API-direct vs the CLI path vs the bare tools, on local files.

Run by hand (`make test` runs only its ``--smoke`` mode)::

    .venv/bin/python bench/download_overhead.py [--runs 7] [--smoke]

Serves a ~25 MB mp4 (yt-dlp) and a ~200 KB JPEG (gallery-dl) from 127.0.0.1 and prints, for
each, the median wall time of: the warm API-direct path through the DownloadManager, the CLI path
through the DownloadManager, and the bare tool run as a process; then the ratios. Goal: warm
API-direct at least 5x faster than the CLI path for both files. ``--smoke`` (what `make test`
runs): a ~1 MB clip and a small JPEG, one run of each path and no warm-up, goal not judged.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.media import make_jpeg, make_mp4  # noqa: E402
from tests.support.media_server import MediaServer  # noqa: E402

from boss_bot.core.manager import DownloadManager  # noqa: E402
from boss_bot.core.models import DownloadOptions  # noqa: E402
from boss_bot.core.settings import BossSettings  # noqa: E402
from boss_bot.core.workers.pool import WorkerPool  # noqa: E402

BIN = Path(sys.executable).parent


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def _manager_runs(manager: DownloadManager, url: str, method: str, runs: int) -> list[float]:
    times = []
    opts = DownloadOptions(force_method=method)  # type: ignore[arg-type]
    for _ in range(runs):
        start = time.perf_counter()
        meta = await manager.download(url, options=opts)
        times.append(time.perf_counter() - start)
        expected = "api" if method == "api" else "cli"
        assert meta.download_method == expected, meta.download_method
        for f in meta.files:
            shutil.rmtree(f.path.parent, ignore_errors=True)
    return times


def _bare_runs(cmd: list[str], workdir: Path, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        out = workdir / f"bare{i}"
        out.mkdir()
        start = time.perf_counter()
        subprocess.run([*cmd], cwd=out, check=True, capture_output=True, timeout=300)
        times.append(time.perf_counter() - start)
        shutil.rmtree(out)
    return times


async def main(runs: int, smoke: bool = False) -> None:
    work = Path(tempfile.mkdtemp(prefix="boss-bench-"))
    try:
        media = work / "media"
        media.mkdir()
        print("generating media …", flush=True)
        if smoke:
            make_mp4(media / "clip.mp4", seconds=1, size="320x240", noise=True, bitrate="4000k")
            make_jpeg(media / "photo.jpg", size=(320, 240))
        else:
            make_mp4(media / "clip.mp4", seconds=20, size="1280x720", noise=True, bitrate="10000k")
            make_jpeg(media / "photo.jpg", size=(900, 700))
        server = MediaServer().start()
        mp4 = server.add_file("clip.mp4", media / "clip.mp4", "video/mp4")
        jpg = server.add_file("photo.jpg", media / "photo.jpg", "image/jpeg")
        settings = BossSettings(
            _env_file=None,  # type: ignore[call-arg]
            download_dir=work / "downloads",
            allow_private_network_urls=True,
            max_concurrent_downloads=1,
        )
        pool = WorkerPool(1)
        manager = DownloadManager(settings, pool=pool)
        rows = []
        try:  # close the pool and the server even when a run fails: no worker outlives us
            await pool.start()
            for label, url, bare in (
                (f"mp4 {(media / 'clip.mp4').stat().st_size / 1e6:.1f} MB (yt-dlp)", mp4,
                 [str(BIN / "yt-dlp"), "--ignore-config", "-q", "--", mp4]),
                (f"jpeg {(media / 'photo.jpg').stat().st_size / 1e3:.0f} KB (gallery-dl)", jpg,
                 [str(BIN / "gallery-dl"), "--config-ignore", "-D", ".", "--", jpg]),
            ):  # fmt: skip
                if not smoke:
                    await _manager_runs(manager, url, "api", 1)  # one warm-up per path
                    await _manager_runs(manager, url, "cli", 1)
                api = _median_ms(await _manager_runs(manager, url, "api", runs))
                cli = _median_ms(await _manager_runs(manager, url, "cli", runs))
                bare_ms = _median_ms(_bare_runs(bare, work, runs))
                rows.append((label, api, cli, bare_ms))
        finally:
            await manager.close()
            server.stop()
        print(f"\nmedian of {runs} runs, worker warm-up {pool.last_warm_seconds:.2f} s (once)\n")
        print(f"{'file':32} {'API warm':>10} {'CLI path':>10} {'bare tool':>10} "
              f"{'CLI/API':>8} {'bare/API':>9}")  # fmt: skip
        for label, api, cli, bare_ms in rows:
            print(f"{label:32} {api:8.0f}ms {cli:8.0f}ms {bare_ms:8.0f}ms "
                  f"{cli / api:7.1f}x {bare_ms / api:8.1f}x")  # fmt: skip
        ok = all(cli / api >= 5 for _, api, cli, _ in rows)
        verdict = "not judged (smoke)" if smoke else ("met" if ok else "NOT met")
        print(f"\ngoal (API ≥ 5x faster than the CLI path for both): {verdict}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="tiny files, one run (make test)")
    args = parser.parse_args()
    asyncio.run(main(1 if args.smoke else args.runs, args.smoke))
