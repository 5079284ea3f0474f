"""The settings panel's pages and custom ids (pure: no Discord objects).

A message holds at most five rows of components, and the panel has ten keys, so it has pages:
row 0 picks the page, rows 1–3 are one select per key of that page, row 4 its buttons.

The panel keeps nothing in memory. A click carries all it needs in its custom id,
``boss:settings:<guild>:<opener>:<until>:<page>:<action>``, and the values come from the store,
so any bot process answers it: the one that opened the panel, the same bot after a restart, or
another shard. ``until`` (seconds since the epoch, base 36) is when the panel closes; each
render moves it :data:`PANEL_SECONDS` on, as a :class:`discord.ui.View` timeout restarts on use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from boss_bot.core.guilds import spec

PREFIX = "boss:settings:"
#: How long a panel stays open after its last use (Discord's interaction token lives 15 min).
PANEL_SECONDS = 300.0
#: Discord's limit on a custom id.
MAX_CUSTOM_ID = 100


@dataclass(frozen=True)
class Page:
    """One page: a select per key in ``selects``; buttons clearing ``clears`` and flipping
    ``toggles`` (on/off keys), then Reset (this page's keys back to their defaults)."""

    name: str
    title: str
    selects: tuple[str, ...]
    clears: tuple[str, ...] = ()
    toggles: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (*self.selects, *self.toggles)


PAGES: tuple[Page, ...] = (
    Page("auto", "Automatic mode", ("auto", "auto_channels", "auto_platforms"),
         clears=("auto_channels",)),
    Page("access", "Channels and roles", ("allowed_channels", "denied_channels", "allowed_roles"),
         clears=("allowed_channels", "denied_channels", "allowed_roles")),
    Page("media", "Media", ("sensitive", "original", "quality"), toggles=("nsfw_spoiler",)),
    Page("size", "Files too big to post", ("too_big",)),
)  # fmt: skip
PAGE_BY_NAME = {p.name: p for p in PAGES}


def page_of(key: str) -> Page:
    """The page that shows ``key``."""
    return next(p for p in PAGES if key in p.keys)


def _keys_of(kind: str) -> list[str]:
    return [k for p in PAGES for k in p.selects if spec(k).kind == kind]


#: The actions of each kind of component (each kind is its own dynamic item, so their custom id
#: templates must not overlap). A select's action is the key it sets; "page" switches pages.
STRING_ACTIONS = ("page", *_keys_of("choice"), *_keys_of("platforms"))
CHANNEL_ACTIONS = tuple(_keys_of("channels"))
ROLE_ACTIONS = tuple(_keys_of("roles"))
BUTTON_ACTIONS = (
    "reset",
    *(f"clear.{k}" for p in PAGES for k in p.clears),
    *(f"{k}.{v}" for p in PAGES for k in p.toggles for v in spec(k).choices),
)

_HEAD = (
    r"boss:settings:(?P<guild>[0-9]{1,20}):(?P<opener>[0-9]{1,20}):(?P<until>[0-9a-z]{1,8}):"
    rf"(?P<page>{'|'.join(p.name for p in PAGES)}):"
)


def template(actions: Iterable[str]) -> str:
    """The custom id pattern of a component kind whose actions are ``actions``."""
    return _HEAD + "(?P<action>" + "|".join(re.escape(a) for a in actions) + ")"


@dataclass(frozen=True)
class PanelId:
    """What one component's custom id says: whose panel, for which server, until when, on which
    page, doing what."""

    guild: int
    opener: int
    until: int
    page: str
    action: str

    @classmethod
    def from_match(cls, match: re.Match[str]) -> PanelId:
        return cls(int(match["guild"]), int(match["opener"]), int(match["until"], 36),
                   match["page"], match["action"])  # fmt: skip

    def custom_id(self, action: str | None = None, page: str | None = None) -> str:
        """This panel's custom id for ``action`` (on ``page``; both default to this one's)."""
        return (
            f"{PREFIX}{self.guild}:{self.opener}:{to_base36(self.until)}:"
            f"{page or self.page}:{action or self.action}"
        )

    def expired(self, now: float) -> bool:
        return now >= self.until


def closes_at(now: float) -> int:
    """When a panel rendered ``now`` closes (whole seconds, never before PANEL_SECONDS)."""
    return math.ceil(now + PANEL_SECONDS)


def to_base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def until_of(custom_ids: Iterable[str]) -> int | None:
    """When the panel whose components carry ``custom_ids`` closes (None: not a panel)."""
    for custom_id in custom_ids:
        match = _UNTIL.match(custom_id)
        if match is not None:
            return int(match["until"], 36)
    return None


_UNTIL = re.compile(_HEAD)


__all__ = [
    "BUTTON_ACTIONS",
    "CHANNEL_ACTIONS",
    "MAX_CUSTOM_ID",
    "PAGES",
    "PAGE_BY_NAME",
    "PANEL_SECONDS",
    "ROLE_ACTIONS",
    "STRING_ACTIONS",
    "Page",
    "PanelId",
    "closes_at",
    "page_of",
    "template",
    "until_of",
]
