"""Lenient conversions for values that come from tools' JSON (any type, or missing)."""

from __future__ import annotations

import math
from typing import Any


def opt_str(value: Any) -> str | None:
    """``str(value)``, or None for None and the empty string."""
    return None if value is None or value == "" else str(value)


def opt_int(value: Any) -> int | None:
    """``int(value)``, or None when missing or not a number."""
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def opt_float(value: Any) -> float | None:
    """``float(value)`` when finite, else None."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None
