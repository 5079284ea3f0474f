"""Draw the stats chart (PNG) with Pillow. Runs as its own process, like all Pillow work.

``python -m boss_bot.core.store.chart OUT.png`` reads the :class:`Stats` JSON on stdin. Left:
daily jobs by outcome (stacked bars); right: median download time per method.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 900, 420
COLOURS = {"success": (67, 181, 129), "failed": (240, 71, 71), "cancelled": (250, 166, 26)}
METHOD_COLOURS = {"api": (88, 101, 242), "cli": (153, 170, 181), "cli_fallback": (235, 69, 158)}
BG, FG, GRID = (47, 49, 54), (220, 221, 222), (79, 84, 92)


def draw(stats: dict[str, Any]) -> Image.Image:
    im = Image.new("RGB", (WIDTH, HEIGHT), BG)
    d = ImageDraw.Draw(im)
    font = ImageFont.load_default()
    title = f"boss-bot: last {stats['days']:g} days" + (
        f" · {stats['platform']}" if stats.get("platform") else ""
    )
    d.text((20, 12), title, fill=FG, font=font)

    # Left panel: daily jobs by outcome.
    left, top, right, bottom = 40, 50, 560, HEIGHT - 50
    d.text((left, top - 18), "jobs per day", fill=FG, font=font)
    days = stats["daily"]
    peak = max([sum(v.values()) for v in days.values()] or [1])
    d.line([(left, bottom), (right, bottom)], fill=GRID)
    if days:
        slot = (right - left) / len(days)
        for i, (day, outcomes) in enumerate(days.items()):
            x0 = left + i * slot + slot * 0.15
            x1 = left + (i + 1) * slot - slot * 0.15
            y = bottom
            for outcome in ("success", "failed", "cancelled"):
                n = outcomes.get(outcome, 0)
                h = (bottom - top) * n / peak
                if n:
                    d.rectangle([x0, y - h, x1, y], fill=COLOURS[outcome])
                y -= h
            d.text((x0, bottom + 6), day[5:], fill=FG, font=font)

    # Right panel: median seconds per method.
    left2, right2 = 620, WIDTH - 30
    d.text((left2, top - 18), "median download s", fill=FG, font=font)
    methods = stats["methods"]
    slowest = max([m["median_seconds"] or 0 for m in methods.values()] or [0]) or 1
    slot = (right2 - left2) / max(1, len(methods))
    d.line([(left2, bottom), (right2, bottom)], fill=GRID)
    for i, (name, m) in enumerate(methods.items()):
        x0 = left2 + i * slot + slot * 0.2
        x1 = left2 + (i + 1) * slot - slot * 0.2
        secs = m["median_seconds"] or 0
        h = (bottom - top) * secs / slowest
        d.rectangle([x0, bottom - h, x1, bottom], fill=METHOD_COLOURS.get(name, FG))
        d.text((x0, bottom + 6), name, fill=FG, font=font)
        d.text((x0, bottom - h - 14), f"{secs:.1f}", fill=FG, font=font)
    return im


def main() -> None:
    out = Path(sys.argv[1])
    draw(json.load(sys.stdin)).save(out, "PNG", optimize=True)


if __name__ == "__main__":
    main()
