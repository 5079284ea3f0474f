"""What a server changed: the stored row of overrides, and edits to it (pure functions).

A server's row holds only the keys whose value differs from the environment's default, in their
JSON form. So a server that changed nothing has no row and reads exactly the defaults, and a
default changed in the environment reaches every server that never changed that key. Setting a
key to its default is the same as resetting it: the key leaves the row.

An edit (set, reset, import) is computed here from the row as read inside the writing
transaction, so two admins changing one server at once cannot lose each other's keys; the store
only runs it (:meth:`~boss_bot.core.store.guilds.GuildSettingsRows.update`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from boss_bot.core.errors import SettingsError
from boss_bot.core.guilds import values
from boss_bot.core.guilds.model import GuildSettings

log = logging.getLogger(__name__)

#: ``(key, old, new)`` of one key whose value changed, both in JSON form (what the audit keeps).
KeyChange = tuple[str, Any, Any]


def read_overrides(stored: Mapping[str, Any]) -> dict[str, values.Value]:
    """The row's values as model values. A key or value that is no longer valid (a platform
    whose strategy was removed, a key from a newer version) is skipped and logged, never fatal:
    a bad row must not stop a server's messages from being handled."""
    found: dict[str, values.Value] = {}
    for key, raw in stored.items():
        try:
            found[values.spec(key).name] = values.from_json(key, raw)
        except SettingsError as exc:
            log.warning("ignoring stored guild setting %s=%r: %s", key, raw, exc.user_message)
    return found


def effective(defaults: GuildSettings, stored: Mapping[str, Any]) -> GuildSettings:
    """A server's settings: the defaults with its row on top."""
    return defaults.with_values(read_overrides(stored))


def apply(
    defaults: GuildSettings,
    stored: Mapping[str, Any],
    updates: Mapping[str, values.Value | None],
) -> tuple[dict[str, Any], list[KeyChange]]:
    """The row after ``updates`` (key → new model value, or None to reset the key to its
    default), and one :data:`KeyChange` per key whose stored value changed."""
    current = effective(defaults, stored)
    row = dict(stored)
    changes: list[KeyChange] = []
    for key, value in updates.items():
        default = defaults.value(key)
        target = default if value is None else value
        want = None if target == default else values.to_json(key, target)
        if want == row.get(key):
            continue
        if want is None:
            row.pop(key, None)
        else:
            row[key] = want
        changes.append((key, values.to_json(key, current.value(key)), values.to_json(key, target)))
    return row, changes


__all__ = ["KeyChange", "apply", "effective", "read_overrides"]
