"""Compression benchmark (run by hand; a few minutes on 2 cores): boss-bot vs other methods.

    .venv/bin/python bench/compression.py [--workdir DIR] [--quick] [--smoke]

For each input (20 s 720p noisy, 20 s half clean/half noisy, 3 min low-motion) and budget
(8 and 10 MiB) it prints size/budget, SSIM against the source (ffmpeg ``-lavfi ssim``, the output
scaled back to the source size when the ladder shrank it) and wall time for:

* boss-bot: ``compress_to_fit`` (capped 1-pass ABR at the preset planning.choose_preset picks
  from the planned bits per pixel, correction pass only when off target);
* reference bot: 1-pass libx264 ``-preset slow``, total = (budget_MB - 2) * 8000 / duration
  kbit/s, 90 % video / 10 % audio, ``-maxrate``/``-bufsize`` equal to the total;
* 2-pass veryfast and 2-pass medium, at the same video/audio bitrates boss-bot planned.

Everything runs one after the other, so timings are comparable within one run. No asserts.
``--smoke`` (what `make test` runs): one 2 s 480x270 input (~5 MB), a 3 MiB budget, every method
once, so a broken code path fails CI in seconds; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from boss_bot.core.compression import compress_to_fit
from boss_bot.core.compression.planning import choose_preset, plan_video
from boss_bot.core.settings import MIB, BossSettings

FF = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]


def run(*args: str) -> None:
    subprocess.run([*FF, *args], check=True)


class Input(NamedTuple):
    label: str
    path: Path
    duration: float
    width: int = 1280
    height: int = 720


SRC = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac", "-b:a", "192k", "-shortest"]


def make_smoke_input(work: Path) -> list[Input]:
    """One small noisy clip, over the smoke budget, so every method really encodes."""
    small = work / "smoke.mp4"
    if not small.exists():
        run("-f", "lavfi", "-i", "testsrc2=s=480x270:r=30:d=2,noise=alls=40:allf=t+u",
            "-f", "lavfi", "-i", "sine=f=440:d=2:sample_rate=48000",
            *SRC, *AAC, str(small))  # fmt: skip
    return [Input("2 s 270p noisy (smoke)", small, 2.0, 480, 270)]


def make_inputs(work: Path, quick: bool) -> list[Input]:
    long_d = 30 if quick else 180
    src, aac = SRC, AAC
    inputs = []
    noisy = work / "noisy.mp4"
    if not noisy.exists():
        run("-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=20,noise=alls=5:allf=t+u",
            "-f", "lavfi", "-i", "sine=f=440:d=20:sample_rate=48000",
            *src, *aac, str(noisy))  # fmt: skip
    inputs.append(Input("20 s 720p noisy", noisy, 20.0))
    mixed = work / "mixed.mp4"
    if not mixed.exists():
        run("-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=10",
            "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=10,noise=alls=5:allf=t+u",
            "-f", "lavfi", "-i", "sine=f=440:d=20:sample_rate=48000",
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", "-map", "2:a",
            *src, *aac, str(mixed))  # fmt: skip
    inputs.append(Input("20 s clean+noisy", mixed, 20.0))
    calm = work / f"calm{long_d}.mp4"
    if not calm.exists():
        run("-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=30:d={long_d},noise=alls=2:allf=t",
            "-f", "lavfi", "-i", f"sine=f=220:d={long_d}:sample_rate=48000", *src, *aac,
            str(calm))  # fmt: skip
    inputs.append(Input(f"{long_d // 60 or long_d} {'min' if long_d >= 60 else 's'} low-motion",
                        calm, float(long_d)))  # fmt: skip
    return inputs


def ssim(out: Path, source: Path) -> float:
    graph = "[0:v][1:v]scale2ref=flags=bicubic[a][b];[a][b]ssim"
    res = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-i", str(out), "-i", str(source),
         "-lavfi", graph, "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    match = re.search(r"All:([0-9.]+)", res.stderr)
    return float(match.group(1)) if match else float("nan")


def reference(src: Path, out: Path, budget_mib: int, duration: float) -> None:
    total = (budget_mib - 2) * 8000 / duration
    video, audio = int(total * 0.9), int(total * 0.1)
    run("-i", str(src), "-c:v", "libx264", "-preset", "slow", "-b:v", f"{video}k",
        "-maxrate", f"{int(total)}k", "-bufsize", f"{int(total)}k", "-c:a", "aac",
        "-b:a", f"{audio}k", "-movflags", "+faststart", str(out))  # fmt: skip


def two_pass(src: Path, out: Path, preset: str, video_kbps: int, audio_kbps: int) -> None:
    log = out.with_suffix("")
    common = ["-i", str(src), "-c:v", "libx264", "-preset", preset, "-b:v", f"{video_kbps}k",
              "-pix_fmt", "yuv420p", "-passlogfile", str(log)]  # fmt: skip
    run(*common, "-pass", "1", "-an", "-f", "null", "-")
    run(*common, "-pass", "2", "-c:a", "aac", "-b:a", f"{audio_kbps}k",
        "-movflags", "+faststart", str(out))  # fmt: skip
    for leftover in out.parent.glob(f"{log.name}*.log*"):
        leftover.unlink()


def measure(
    work: Path, inputs: list[Input], budgets: tuple[int, ...], settings: BossSettings
) -> None:
    """Print one table row per input, budget and method."""
    print("| input | budget | method | size/budget | SSIM | time |")
    print("|---|---|---|---|---|---|")
    for label, src, duration, width, height in inputs:
        for budget_mib in budgets:
            budget = budget_mib * MIB
            plan = plan_video(
                duration=duration, width=width, height=height, fps=30, target_bytes=budget,
                has_audio=True, audio_source_kbps=192, min_video_kbps=125, min_audio_kbps=32,
            )  # fmt: skip
            assert plan is not None and plan.audio_kbps is not None
            rows: list[tuple[str, Path, float]] = []

            out_dir = work / f"{src.stem}-{budget_mib}"
            t0 = time.perf_counter()
            res = asyncio.run(compress_to_fit(src, budget, dest_dir=out_dir, settings=settings))
            preset = choose_preset(settings.compression_ffmpeg_preset, plan.bits_per_pixel)
            rows.append(
                (f"boss-bot ({res.passes} pass, {preset})", res.path, time.perf_counter() - t0)
            )

            video_kbps, audio_kbps = plan.video_kbps, plan.audio_kbps
            for name, preset in (
                ("reference (1-pass slow)", None),
                ("2-pass veryfast", "veryfast"),
                ("2-pass medium", "medium"),
            ):
                out = out_dir / f"{preset or 'reference'}.mp4"
                t0 = time.perf_counter()
                if preset is None:
                    reference(src, out, budget_mib, duration)
                else:
                    two_pass(src, out, preset, video_kbps, audio_kbps)
                rows.append((name, out, time.perf_counter() - t0))

            for name, out, seconds in rows:
                fill = out.stat().st_size / budget
                flag = " **over**" if fill > 1 else ""
                print(
                    f"| {label} | {budget_mib} MiB | {name} | {fill:.3f}{flag} | "
                    f"{ssim(out, src):.4f} | {seconds:.1f} s |",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="30 s instead of 3 min low-motion")
    parser.add_argument(
        "--smoke", action="store_true", help="one tiny input, one budget, seconds (make test)"
    )
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="boss-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    settings = BossSettings(_env_file=None)  # type: ignore[call-arg]
    print(f"work dir: {work}; preset {settings.compression_ffmpeg_preset}", file=sys.stderr)
    try:
        inputs = make_smoke_input(work) if args.smoke else make_inputs(work, args.quick)
        measure(work, inputs, (3,) if args.smoke else (8, 10), settings)
    finally:
        if args.smoke and args.workdir is None:  # by hand, the inputs are kept for another run
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
