"""How fast the upload batch planner is (run by hand: `.venv/bin/python bench/planner.py`).

Prints the median and worst wall time of ``plan_batches`` over seeded random inputs in three
regimes: no byte cap, a realistic cap (0.2–9 MiB files under 25 MiB), and the hard regime (sizes
that pair badly under a tight cap, where the exact search runs). ``--smoke`` (what `make test`
runs): one input per regime, so a broken planner fails CI.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from boss_bot.core.upload.planner import PlannedFile, plan_batches

MiB = 1 << 20


def timed(files: list[PlannedFile], cap: int | None, per_file: int) -> float:
    start = time.perf_counter()
    plan_batches(files, max_bytes_per_message=cap, max_bytes_per_file=per_file)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one input per regime (make test)")
    inputs = 1 if parser.parse_args().smoke else 30
    rng = random.Random(2026)
    regimes = {
        "100 files, no cap": lambda: ([rng.randint(1, 9 * MiB) for _ in range(100)], None),
        "100 files, 25 MiB cap": lambda: (
            [rng.randint(MiB // 5, 9 * MiB) for _ in range(100)],
            25 * MiB,
        ),
        "100 files, hard pairs": lambda: ([rng.randint(260, 659) for _ in range(100)], 1000),
        "12 files, hard (exact)": lambda: ([rng.randint(260, 659) for _ in range(12)], 1000),
    }
    print(f"{'regime':24} {'median':>9} {'worst':>9}  ({inputs} seeded inputs each)")
    for name, make in regimes.items():
        samples = []
        for _ in range(inputs):
            sizes, cap = make()
            files = [PlannedFile(f"{i}.bin", s) for i, s in enumerate(sizes)]
            samples.append(timed(files, cap, max(sizes)))
        print(f"{name:24} {statistics.median(samples) * 1e3:7.2f}ms {max(samples) * 1e3:7.2f}ms")


if __name__ == "__main__":
    main()
