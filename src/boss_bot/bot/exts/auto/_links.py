"""Links in a message as Discord shows them: pure, no Discord state.

Discord's own conventions decide what automatic mode takes:

* ``<https://…>`` is a link its author chose to show without an embed: left alone;
* ``||https://…||`` is a spoiler: its media is posted as spoilers;
* a link ends at whitespace; trailing punctuation of the sentence (``.``, ``,``, ``!``, a
  closing bracket that opens nowhere in the link) is not part of it, as in Discord's parser;
* the same link twice counts once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPOILER = re.compile(r"\|\|(.+?)\|\|", re.DOTALL)
_LINK = re.compile(r"(<)?(https?://[^\s<>|]+)(>)?", re.IGNORECASE)
_TRAILING = ".,:;!?'\"*_~"
_CLOSERS = {")": "(", "]": "["}


@dataclass(frozen=True)
class FoundLink:
    url: str
    spoiler: bool = False


def find_links(text: str, *, include_suppressed: bool = False) -> list[FoundLink]:
    """The links automatic mode may take from ``text``, in order, without duplicates.

    ``include_suppressed``: take ``<links>`` too (someone explicitly asked, e.g. "Download
    media" on the message)."""
    spoilers = [(m.start(1), m.end(1)) for m in _SPOILER.finditer(text)]
    found: list[FoundLink] = []
    seen: set[str] = set()
    for match in _LINK.finditer(text):
        opened, url, closed = match.group(1), match.group(2), match.group(3)
        if opened and closed and not include_suppressed:
            continue  # <link>: shown without an embed on purpose
        url = _trim(url)
        if url in seen or len(url) <= len("https://"):
            continue
        seen.add(url)
        start = match.start(2)
        spoiler = any(a <= start < b for a, b in spoilers)
        found.append(FoundLink(url, spoiler))
    return found


def _trim(url: str) -> str:
    """Drop the sentence's punctuation after a link, but keep brackets the link opened."""
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _CLOSERS and url.count(_CLOSERS[last]) < url.count(last)):
            url = url[:-1]
        else:
            break
    return url


__all__ = ["FoundLink", "find_links"]
