"""The per-server keys, and their values as people type them, read them and export them.

Three spellings of one value, kept apart on purpose:

* **words**, what ``$settings set <key> <value…>`` and ``bossctl guild set`` take: channel
  mentions ``<#123>`` or ids, role mentions ``<@&123>`` or ids, platform names, ``on``/``off``;
  ``none`` or ``clear`` empties a list;
* **the model's value** (:class:`~boss_bot.core.guilds.model.GuildSettings`): a string of its
  choices, or a sorted tuple of ids, or a tuple of platform names in registry order;
* **JSON** (exports, imports, the stored row and the audit): the same, with ids as strings,
  because JavaScript (and so many JSON readers) cannot hold a 64-bit integer exactly.

Every refusal is a :class:`~boss_bot.core.errors.SettingsError` whose ``user_message`` is one line
naming what is valid, so each surface (Discord, bossctl, the API) can show it as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from boss_bot.core.errors import SettingsError
from boss_bot.core.settings.guilds import QUALITY_LADDER, known_platforms

Kind = Literal["choice", "channels", "roles", "platforms"]
#: What a value is in the model: one of the choices, or a tuple of ids or of platform names.
Value = str | tuple[int, ...] | tuple[str, ...]

#: Words that empty a list key.
CLEAR_WORDS = frozenset({"none", "clear"})
#: The largest Discord id (a snowflake is an unsigned 64-bit integer).
MAX_ID = 2**64 - 1
_CHANNEL = re.compile(r"<#(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_ON = frozenset({"on", "true", "yes", "1", "enable", "enabled"})
_OFF = frozenset({"off", "false", "no", "0", "disable", "disabled"})


@dataclass(frozen=True)
class KeySpec:
    """One key: its name, the kind of its value, its choices (a choice key) and a short help."""

    name: str
    kind: Kind
    help: str
    choices: tuple[str, ...] = ()

    @property
    def is_list(self) -> bool:
        return self.kind != "choice"


#: The keys, in the order every surface lists them (names fixed by issue 14).
SPECS: tuple[KeySpec, ...] = (
    KeySpec("auto", "choice", "handle pasted links without a command",
            ("off", "channels", "everywhere")),
    KeySpec("auto_channels", "channels", "where auto=channels applies (threads follow)"),
    KeySpec("auto_platforms", "platforms", "the platforms whose links auto mode handles"),
    KeySpec("allowed_channels", "channels", "where commands and auto mode may run (none: all)"),
    KeySpec("denied_channels", "channels", "where commands and auto mode may not run"),
    KeySpec("allowed_roles", "roles", "who may use downloads (none: everyone)"),
    KeySpec("sensitive", "choice", "sensitive media outside age-restricted channels",
            ("block", "spoiler")),
    KeySpec("nsfw_spoiler", "choice", "spoiler sensitive media in age-restricted channels",
            ("on", "off")),
    KeySpec("original", "choice", "in auto mode, the original message's link embed",
            ("keep", "suppress")),
    KeySpec("quality", "choice", "the highest YouTube resolution fetched", QUALITY_LADDER),
    KeySpec("too_big", "choice", "a file over the upload limit: compress, link, or both",
            ("compress", "link", "both")),
)  # fmt: skip
KEYS: tuple[str, ...] = tuple(s.name for s in SPECS)
_BY_NAME = {s.name: s for s in SPECS}


def spec(key: str) -> KeySpec:
    """The key called ``key`` (any case), or a SettingsError listing the keys."""
    found = _BY_NAME.get(key.strip().lower()) if isinstance(key, str) else None
    if found is None:
        raise SettingsError(
            f"unknown settings key {key!r}",
            user_message=f"Unknown setting {quoted(key)}; the keys are {', '.join(KEYS)}.",
        )
    return found


def valid_values(key: str) -> str:
    """What ``key`` accepts, in words (for the help and for every refusal)."""
    s = spec(key)
    if s.kind == "choice":
        return _or(s.choices)
    if s.kind == "platforms":
        return f"platform names ({', '.join(known_platforms())}), or none"
    what = "channel mentions (#channel)" if s.kind == "channels" else "role mentions (@role)"
    return f"{what} or ids, or none to clear"


# --- words → value ------------------------------------------------------------------------------


def parse_words(key: str, words: Sequence[str]) -> Value:
    """The value ``words`` spell for ``key`` (``set auto_channels <#1> 2`` → ``(1, 2)``)."""
    s = spec(key)
    if isinstance(words, str):  # one string of words, not a sequence of one-letter words
        words = [words]
    parts = [w for word in words for w in re.split(r"[\s,]+", str(word)) if w]
    if not parts:
        raise _bad(s, None, f"{quoted(s.name)} needs a value: {valid_values(s.name)}.")
    if s.kind == "choice":
        if len(parts) > 1:
            raise _bad(s, " ".join(parts), f"{quoted(s.name)} takes one value: "
                       f"{valid_values(s.name)} (got {quoted(' '.join(parts))}).")  # fmt: skip
        return _choice(s, parts[0])
    if len(parts) == 1 and parts[0].lower() in CLEAR_WORDS:
        return ()
    if s.kind == "platforms":
        return _platforms(s, parts)
    return _ids(s, parts)


def _choice(s: KeySpec, word: str) -> str:
    text = word.strip().lower()
    if s.name == "nsfw_spoiler":
        text = "on" if text in _ON else "off" if text in _OFF else text
    if s.name == "quality" and text.isdigit():
        text += "p"  # "720" is 720p
    if text not in s.choices:
        raise _bad(s, word, f"{quoted(s.name)} must be {valid_values(s.name)} "
                   f"(got {quoted(word)}).")  # fmt: skip
    return text


def _platforms(s: KeySpec, words: Iterable[str]) -> tuple[str, ...]:
    known = known_platforms()
    chosen = set()
    for word in words:
        name = word.strip().lower()
        if name not in known:
            raise _bad(s, word, f"{quoted(word)} is not a platform; {quoted(s.name)} takes "
                       f"{valid_values(s.name)}.")  # fmt: skip
        chosen.add(name)
    return tuple(p for p in known if p in chosen)


def _ids(s: KeySpec, words: Iterable[str]) -> tuple[int, ...]:
    mention, other = (_CHANNEL, _ROLE) if s.kind == "channels" else (_ROLE, _CHANNEL)
    found: set[int] = set()
    for word in words:
        text = word.strip()
        match = mention.fullmatch(text)
        digits = match.group(1) if match else text if text.isdigit() else None
        if digits is None or not 0 < int(digits) <= MAX_ID:
            kind, wrong = ("channel", "role") if s.kind == "channels" else ("role", "channel")
            hint = f" ({quoted(text)} is a {wrong})" if other.fullmatch(text) else ""
            raise _bad(s, word, f"{quoted(word)} is not a {kind}; {quoted(s.name)} takes "
                       f"{valid_values(s.name)}{hint}.")  # fmt: skip
        found.add(int(digits))
    return tuple(sorted(found))


# --- JSON ↔ value -------------------------------------------------------------------------------


def to_json(key: str, value: Value) -> Any:
    """The JSON form of a model value: a string, or a list (ids as strings)."""
    if isinstance(value, str):
        return value
    return [str(v) for v in value]


def from_json(key: str, value: Any) -> Value:
    """A model value from JSON: a string for a choice key; a list (of strings or integers) or a
    string of words for a list key. Raises SettingsError as :func:`parse_words` does."""
    s = spec(key)
    if s.is_list and isinstance(value, list):
        if not value:
            return ()
        if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
            raise _bad(s, None, f"{quoted(s.name)} must be a list of "
                       f"{valid_values(s.name).removesuffix(', or none to clear')}.")  # fmt: skip
        return parse_words(key, [str(v) for v in value])
    if isinstance(value, bool) and s.name == "nsfw_spoiler":
        return "on" if value else "off"
    if isinstance(value, str):
        return parse_words(key, [value])
    kind = "a list" if s.is_list else "a string"
    raise _bad(s, None, f"{quoted(s.name)} must be {kind}: {valid_values(s.name)}.")


# --- value → text -------------------------------------------------------------------------------


def display(key: str, value: Value | Any, *, mentions: bool = True) -> str:
    """How a value reads: ``none`` for an empty list, channel and role mentions for ids in
    Discord (``mentions=False``: the bare ids, for a terminal).

    Takes a model value or its JSON form (the audit keeps JSON)."""
    s = spec(key)
    if isinstance(value, str):
        return value
    items = list(value or ())
    if not items:
        return "none"
    if not mentions:
        return " ".join(str(v) for v in items)
    if s.kind == "channels":
        return " ".join(f"<#{v}>" for v in items)
    if s.kind == "roles":
        return " ".join(f"<@&{v}>" for v in items)
    return " ".join(str(v) for v in items)


def describe_change(key: str, old: Any, new: Any, *, mentions: bool = True) -> str:
    """One audit entry as a line: ``quality: 720p → 1080p`` (values in either form)."""
    shown = [display(key, v, mentions=mentions) for v in (old, new)]
    return f"{key}: {shown[0]} → {shown[1]}"


def _or(choices: Sequence[str]) -> str:
    return ", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else choices[0]


def quoted(word: object, limit: int = 40) -> str:
    """User input quoted safely on one line (no backticks, no newlines, not too long)."""
    text = " ".join(str(word).replace("`", "'").split())
    return f"`{text if len(text) <= limit else text[: limit - 1] + '…'}`"


def _bad(s: KeySpec, word: str | None, user_message: str) -> SettingsError:
    return SettingsError(f"bad value {word!r} for {s.name}", user_message=user_message)
