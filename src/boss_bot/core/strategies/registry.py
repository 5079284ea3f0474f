"""The ordered strategy registry: the first strategy whose hosts match a URL handles it.

Modelled on gallery-dl's extractor list: explicit and ordered, no plug-in discovery, so
which strategy handles a URL can be read straight from this file. Platform hosts do not
overlap; ``generic`` comes last and takes every other http(s) URL.
"""

from __future__ import annotations

from boss_bot.core.errors import UnsupportedURLError
from boss_bot.core.strategies import (
    bluesky,
    generic,
    instagram,
    reddit,
    tiktok,
    twitter,
    youtube,
)
from boss_bot.core.strategies.base import Strategy
from boss_bot.core.urls import normalise_url

STRATEGIES: tuple[Strategy, ...] = (
    twitter.STRATEGY,
    reddit.STRATEGY,
    instagram.STRATEGY,
    youtube.STRATEGY,
    tiktok.STRATEGY,
    bluesky.STRATEGY,
    generic.STRATEGY,
)

_BY_NAME: dict[str, Strategy] = {s.name: s for s in STRATEGIES}


def strategy_for(url: str) -> Strategy:
    """The first strategy that matches ``url`` (normalised here, so any spelling routes alike).

    Raises :class:`InvalidURLError` for text that is not a URL and
    :class:`UnsupportedURLError` for a URL no strategy takes (not http(s)).
    """
    normalised = normalise_url(url)
    for strategy in STRATEGIES:
        if strategy.matches(normalised):
            return strategy
    raise UnsupportedURLError(
        f"no strategy for {normalised[:200]!r}",
        user_message="I can only download http and https links.",
    )


def strategy_by_name(name: str) -> Strategy:
    """The registered strategy called ``name`` (how worker processes refer to one)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(_BY_NAME)
        raise KeyError(f"unknown strategy {name!r} (known: {known})") from None
