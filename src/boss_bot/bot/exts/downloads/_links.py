"""Reading links out of a command or a message: pure helpers, no Discord state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from discord.ext import commands

from boss_bot.bot.exts.auto._links import find_links

#: Most links taken from one message; more would flood the channel with status messages.
MAX_LINKS_PER_MESSAGE = 5

#: Words discord.py's bool converter accepts: they end the list of links (``$download url no``).
_BOOL_WORDS = frozenset(
    {"true", "false", "yes", "no", "y", "n", "on", "off", "1", "0", "enable", "disable",
     "enabled", "disabled"}
)  # fmt: skip
_TRUE = frozenset({"true", "yes", "y", "on", "1", "enable", "enabled"})
_UPLOAD_FLAG = "upload="
_FORCE_FLAG = "force="
_FORCE_WORDS = frozenset({"--force", "-f"})


def is_bool_word(word: str) -> bool:
    return word.lower() in _BOOL_WORDS


class Link(commands.Converter[str]):
    """One link for ``Greedy[Link]``: any word that is not a yes/no value.

    Validation is the core's (``check_url``), so a malformed link still reaches it and gets a
    reason instead of being silently dropped here.
    """

    async def convert(self, ctx: commands.Context[object], argument: str) -> str:
        if is_bool_word(argument):
            raise commands.BadArgument("not a link")
        return argument.strip()


def split_links(words: Iterable[str], upload: bool) -> tuple[list[str], bool]:
    """Links in order without duplicates, plus ``upload`` (an ``upload=false`` word sets it).

    A slash command's ``url`` option is one string; Greedy splits it on spaces, so
    ``url: "a b"`` gives two links as ``$download a b`` does.
    """
    links, upload, _force = parse_words(words, upload=upload, force=False)
    return links, upload


def parse_words(words: Iterable[str], *, upload: bool, force: bool) -> tuple[list[str], bool, bool]:
    """Links in order without duplicates, plus the ``upload=…`` and ``force=…`` / ``--force``
    flags written among them (``$download <url> force=True`` re-posts what dedup would link)."""
    links: list[str] = []
    for word in words:
        for part in word.split():
            lower = part.lower()
            if lower.startswith(_UPLOAD_FLAG):
                upload = lower[len(_UPLOAD_FLAG) :] in _TRUE
            elif lower.startswith(_FORCE_FLAG):
                force = lower[len(_FORCE_FLAG) :] in _TRUE
            elif lower in _FORCE_WORDS:
                force = True
            elif part not in links:
                links.append(part)
    return links, upload, force


def message_links(message: Any) -> list[str]:
    """Every link in a message, for "Download media": its text (``<links>`` included: the
    person asked) and the URLs of its embeds, in order, without duplicates."""
    links = [found.url for found in find_links(message.content or "", include_suppressed=True)]
    for embed in getattr(message, "embeds", ()):
        url = getattr(embed, "url", None)
        if url and url not in links:
            links.append(url)
    return links
