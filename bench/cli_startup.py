"""How long `bossctl --help` takes as a whole process (goal: under 0.3 s).

Run by hand: `.venv/bin/python bench/cli_startup.py`. Prints the median and worst of 15 runs and
which heavy modules (discord, yt_dlp, gallery_dl, pydantic_settings) the app imports at start.
``--smoke`` (what `make test` runs): one run, so a broken `bossctl` fails CI.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BOSSCTL = Path(sys.executable).with_name("bossctl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one run (make test runs this)")
    args = parser.parse_args()
    times = []
    for _ in range(1 if args.smoke else 15):
        start = time.perf_counter()
        subprocess.run([str(BOSSCTL), "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    heavy = subprocess.run(
        [sys.executable, "-c", "import sys, boss_bot.cli.app; print([m for m in "
         "('discord', 'yt_dlp', 'gallery_dl', 'pydantic_settings', 'sqlalchemy') "
         "if m in sys.modules])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    print(f"bossctl --help: median {statistics.median(times):.3f} s, worst {max(times):.3f} s")
    print(f"heavy modules imported at start: {heavy}")


if __name__ == "__main__":
    main()
