"""What the per-area settings mixins share: the MiB unit and how a list is spelled in the
environment (``"1, 2,3"``)."""

from __future__ import annotations

MIB = 1024 * 1024


def comma_separated(value: object) -> object:
    """``"1, 2,3"`` (how the environment spells a list) → ``["1", "2", "3"]``.

    Used by a ``mode="before"`` field validator in each mixin that has list fields. Each of
    those validators needs its own name: pydantic keeps one validator per name when it merges
    the mixins into BossSettings, so two ``_comma_separated`` methods would silently become one.
    """
    if isinstance(value, str):
        text = value.strip().removeprefix("[").removesuffix("]")
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value
