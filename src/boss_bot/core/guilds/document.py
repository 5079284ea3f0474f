"""Settings documents: what ``export`` writes and ``import`` reads (JSON).

An export is every key in the documented order, ids as strings
(:meth:`~boss_bot.core.guilds.model.GuildSettings.export`). An import takes such a document, or
any part of it: the keys it names are set, the others are left as they are. The whole document
is checked before anything changes, and a bad one is refused with one line naming every
problem (unknown keys, bad values), so an admin fixes it in one go.
"""

from __future__ import annotations

import json
from typing import Any

from boss_bot.core.errors import SettingsError
from boss_bot.core.guilds import values

#: The most problems named in one refusal (the line stays readable).
MAX_PROBLEMS = 5
#: The largest document read (an export is well under 4 KiB even with many channel ids).
MAX_DOCUMENT_BYTES = 256 * 1024


def parse_document(document: Any) -> dict[str, values.Value]:
    """The model values a document sets, key by key; a SettingsError naming every problem."""
    if not isinstance(document, dict):
        raise SettingsError(
            "settings document is not a JSON object",
            user_message="A settings document is a JSON object of keys "
            f"({', '.join(values.KEYS)}), as `export` writes it.",
        )
    parsed: dict[str, values.Value] = {}
    unknown: list[str] = []
    problems: list[str] = []
    for key, raw in document.items():
        name = key.strip().lower() if isinstance(key, str) else None
        if name not in values.KEYS:
            unknown.append(values.quoted(key))
            continue
        try:
            parsed[name] = values.from_json(name, raw)
        except SettingsError as exc:
            problems.append(exc.user_message.rstrip("."))
    if unknown:
        problems.insert(0, f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                           f"(the keys are {', '.join(values.KEYS)})")  # fmt: skip
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        text = "; ".join(shown) + (f"; and {more} more" if more else "")
        raise SettingsError(
            f"bad settings document: {text}",
            user_message=f"Nothing was changed: {text}.",
        )
    return parsed


def read_document(text: str | bytes) -> Any:
    """JSON text → a document (still to be checked by :func:`parse_document`)."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise SettingsError(
            "settings document too large",
            user_message=f"A settings document is at most {MAX_DOCUMENT_BYTES // 1024} KiB.",
        )
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
        raise SettingsError(
            f"settings document is not JSON: {exc}",
            user_message=f"Nothing was changed: the document is not valid JSON{where}.",
        ) from None


def write_document(document: dict[str, Any]) -> str:
    """A document as people and programs read it: indented JSON, keys in their order."""
    return json.dumps(document, indent=2) + "\n"


__all__ = ["MAX_DOCUMENT_BYTES", "parse_document", "read_document", "write_document"]
