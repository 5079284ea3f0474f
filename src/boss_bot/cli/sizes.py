"""Parse sizes and ages given on the command line (``10MiB``, ``8MB``, ``7d``)."""

from __future__ import annotations

import re

import typer

_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "kib": 1024,
    "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
    "g": 1000**3, "gb": 1000**3, "gib": 1024**3,
}  # fmt: skip
_AGES = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_size(text: str) -> int:
    """``10MiB`` → 10485760, ``8MB`` → 8000000, ``500k`` → 500000; plain numbers are bytes."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = m.group(2).lower() if m else None
    if m is None or unit not in _UNITS:
        raise typer.BadParameter(f"{text!r} is not a size (try 10MiB, 8MB or 500k)")
    value = int(float(m.group(1)) * _UNITS[unit])
    if value <= 0:
        raise typer.BadParameter("the size must be more than 0")
    return value


def parse_age(text: str) -> float:
    """``7d`` → seconds; units s, m, h, d, w."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text.lower())
    if m is None:
        raise typer.BadParameter(f"{text!r} is not an age (try 12h, 7d or 2w)")
    return float(m.group(1)) * _AGES[m.group(2)]
