"""Reading links out of a command: pure helpers, no Discord state."""

from __future__ import annotations

from collections.abc import Iterable

from discord.ext import commands

#: Most links taken from one message; more would flood the channel with status messages.
MAX_LINKS_PER_MESSAGE = 5

#: Words discord.py's bool converter accepts: they end the list of links (``$download url no``).
_BOOL_WORDS = frozenset(
    {"true", "false", "yes", "no", "y", "n", "on", "off", "1", "0", "enable", "disable",
     "enabled", "disabled"}
)  # fmt: skip
_TRUE = frozenset({"true", "yes", "y", "on", "1", "enable", "enabled"})
_UPLOAD_FLAG = "upload="


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
    links: list[str] = []
    for word in words:
        for part in word.split():
            if part.lower().startswith(_UPLOAD_FLAG):
                upload = part[len(_UPLOAD_FLAG) :].lower() in _TRUE
            elif part not in links:
                links.append(part)
    return links, upload
