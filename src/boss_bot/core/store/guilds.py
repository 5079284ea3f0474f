"""Per-server settings rows, their audit, user opt-outs and the settings version (the queries).

The store knows rows of JSON, not what the keys mean: an edit is a function of the row, computed
by :mod:`boss_bot.core.guilds.overrides` and run here inside the writing transaction. Every write
first bumps the one-row settings version, which also takes the lock that serialises writers (a
row lock on PostgreSQL, the write lock on SQLite), then reads the row it edits: two admins
editing one server at once both land, one after the other. A write that would change nothing is
rolled back, so neither the version nor the audit moves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boss_bot.core.store.schema import (
    GuildSettingChangeRow,
    GuildSettingsRow,
    SettingsVersionRow,
    UserOptOutRow,
    now,
)

#: An edit: the row's overrides in, the new overrides and ``(key, old, new)`` per change out.
Edit = Callable[[dict[str, Any]], tuple[dict[str, Any], list[tuple[str, Any, Any]]]]

_BUMP = (
    update(SettingsVersionRow)
    .where(SettingsVersionRow.id == 1)
    .values(version=SettingsVersionRow.version + 1, updated_at=bindparam("at"))
    .returning(SettingsVersionRow.version)
)


@dataclass(frozen=True)
class Change:
    """One key of one server changed: who, when, how (``set``, ``reset``, ``import``), and its
    value before and after in JSON form (ids as strings)."""

    guild_id: int
    key: str
    old: Any
    new: Any
    by: int | None
    at: float
    action: str


@dataclass(frozen=True)
class Written:
    """What a write left: the row's overrides, the changes made (none: nothing was written),
    and the settings version it made (None when nothing was written)."""

    overrides: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    version: int | None = None


class _Unchanged(Exception):
    """Raised inside a write that would change nothing: rolls its transaction back."""

    def __init__(self, overrides: dict[str, Any]) -> None:
        super().__init__("nothing to change")
        self.overrides = overrides


class GuildSettingsRows:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def overrides(self, guild_id: int) -> dict[str, Any]:
        """The keys this server changed (JSON form); empty when it changed nothing."""
        async with self._sessions() as s:
            row = await s.get(GuildSettingsRow, guild_id)
        return dict(row.overrides) if row is not None else {}

    async def version(self) -> int:
        """The settings version: it moves with every write of settings or opt-outs."""
        async with self._sessions() as s:
            found = await s.scalar(
                select(SettingsVersionRow.version).where(SettingsVersionRow.id == 1)
            )
        return int(found or 0)

    async def update(self, guild_id: int, edit: Edit, *, action: str, by: int | None) -> Written:
        """Run ``edit`` on this server's row in one transaction and record each change."""
        try:
            async with self._sessions.begin() as s:
                version = await _bump(s)
                row = await s.get(GuildSettingsRow, guild_id)
                current = dict(row.overrides) if row is not None else {}
                new, changed = edit(current)
                if not changed and new == current:
                    raise _Unchanged(current)
                at = now()
                if not new and row is not None:
                    await s.delete(row)
                elif row is None:
                    s.add(GuildSettingsRow(guild_id=guild_id, overrides=new, updated_at=at,
                                           updated_by=by))  # fmt: skip
                else:
                    row.overrides, row.updated_at, row.updated_by = new, at, by
                changes = [Change(guild_id, key, old, value, by, at, action)
                           for key, old, value in changed]  # fmt: skip
                s.add_all(
                    GuildSettingChangeRow(guild_id=guild_id, key=c.key, action=action,
                                          old_value=c.old, new_value=c.new, changed_by=by,
                                          changed_at=at)
                    for c in changes
                )  # fmt: skip
        except _Unchanged as unchanged:
            return Written(unchanged.overrides)
        return Written(new, changes, version)

    async def changes(self, guild_id: int, limit: int = 5) -> list[Change]:
        """The latest changes to this server's settings, newest first."""
        query = (
            select(GuildSettingChangeRow)
            .where(GuildSettingChangeRow.guild_id == guild_id)
            .order_by(GuildSettingChangeRow.id.desc())
            .limit(limit)
        )
        async with self._sessions() as s:
            rows = (await s.scalars(query)).all()
        return [Change(r.guild_id, r.key, r.old_value, r.new_value, r.changed_by, r.changed_at,
                       r.action) for r in rows]  # fmt: skip

    async def ignored(self, user_id: int) -> bool:
        """Has this user opted out of automatic handling?"""
        async with self._sessions() as s:
            return await s.get(UserOptOutRow, user_id) is not None

    async def set_ignored(self, user_id: int, ignored: bool) -> int | None:
        """Opt a user out of (or back into) automatic handling; the settings version it made,
        or None when the user was already so."""
        try:
            async with self._sessions.begin() as s:
                version = await _bump(s)
                row = await s.get(UserOptOutRow, user_id)
                if (row is not None) == ignored:
                    raise _Unchanged({})
                if ignored:
                    s.add(UserOptOutRow(user_id=user_id, created_at=now()))
                else:
                    await s.delete(row)
        except _Unchanged:
            return None
        return version


async def _bump(s: AsyncSession) -> int:
    """Advance the settings version (first statement of every write: it takes the lock)."""
    version = await s.scalar(_BUMP, {"at": now()})
    if version is None:  # the row the migration made is gone: make it again
        await s.execute(insert(SettingsVersionRow).values(id=1, version=1, updated_at=now()))
        version = 1
    return int(version)


__all__ = ["Change", "Edit", "GuildSettingsRows", "Written"]
