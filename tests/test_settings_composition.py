"""BossSettings is composed from per-area mixins (core/settings/): the composition loses nothing."""

from __future__ import annotations

from pydantic_settings import BaseSettings

from boss_bot.core.settings import BossSettings


def _mixins() -> list[type[BaseSettings]]:
    return [
        base
        for base in BossSettings.__mro__[1:]
        if issubclass(base, BaseSettings) and base.__module__.startswith("boss_bot.core.settings.")
    ]


def test_each_field_comes_from_exactly_one_mixin() -> None:
    seen: list[str] = []
    for mixin in _mixins():
        seen += [name for name in mixin.__annotations__ if name in mixin.model_fields]
    assert sorted(seen) == sorted(BossSettings.model_fields)
    assert not [n for n in BossSettings.__annotations__ if n in BossSettings.model_fields]


def test_every_mixin_validator_survives_composition() -> None:
    """pydantic keeps one validator per method name across the bases: two mixins defining
    ``_comma_separated`` would silently lose one of them."""
    kinds = ("field_validators", "model_validators")
    declared = [
        name
        for mixin in _mixins()
        for kind in kinds
        for name in getattr(mixin.__pydantic_decorators__, kind)
    ]
    composed = [
        name for kind in kinds for name in getattr(BossSettings.__pydantic_decorators__, kind)
    ]
    assert len(declared) == len(set(declared)), "validator names must be unique across mixins"
    assert sorted(declared) == sorted(composed)
