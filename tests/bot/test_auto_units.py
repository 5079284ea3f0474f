"""Automatic mode's pure parts: which links a message offers, and what a server's rules say
about sensitive media in a channel."""

from __future__ import annotations

import pytest

from boss_bot.bot.checks import sensitive_action
from boss_bot.bot.exts.auto._links import FoundLink, find_links
from boss_bot.core.guilds import GuildSettings

TWEET = "https://x.com/someone/status/123"
REEL = "https://www.instagram.com/reel/abc/"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"look {TWEET}", [FoundLink(TWEET)]),
        (f"<{TWEET}> no embed wanted", []),
        (f"||{TWEET}||", [FoundLink(TWEET, spoiler=True)]),
        (f"|| spoiler: {TWEET} ||", [FoundLink(TWEET, spoiler=True)]),
        (f"{TWEET}, and {REEL}.", [FoundLink(TWEET), FoundLink(REEL)]),
        (f"{TWEET} {TWEET}", [FoundLink(TWEET)]),
        (f"(see {TWEET})", [FoundLink(TWEET)]),
        (
            "https://en.wikipedia.org/wiki/Foo_(bar)",
            [FoundLink("https://en.wikipedia.org/wiki/Foo_(bar)")],
        ),
        (f"[a tweet]({TWEET})", [FoundLink(TWEET)]),
        (
            f"<{TWEET}> and ||{REEL}|| and {TWEET}?",
            [FoundLink(REEL, spoiler=True), FoundLink(TWEET)],
        ),
        ("no links here, just http talk", []),
        ("ftp://example.com/x https://", []),
        (f"{TWEET}\n{REEL}", [FoundLink(TWEET), FoundLink(REEL)]),
    ],
)
def test_find_links_follows_discords_conventions(text: str, expected: list[FoundLink]) -> None:
    assert find_links(text) == expected


class Channel:
    def __init__(self, nsfw: bool) -> None:
        self._nsfw = nsfw

    def is_nsfw(self) -> bool:
        return self._nsfw


@pytest.mark.parametrize(
    ("sensitive", "nsfw_spoiler", "age_restricted", "action"),
    [
        ("block", "on", False, "block"),
        ("spoiler", "on", False, "spoiler"),
        ("block", "on", True, "spoiler"),
        ("block", "off", True, "post"),
        ("spoiler", "off", False, "spoiler"),
    ],
)
def test_sensitive_action_by_channel(
    sensitive: str, nsfw_spoiler: str, age_restricted: bool, action: str
) -> None:
    rules = GuildSettings(sensitive=sensitive, nsfw_spoiler=nsfw_spoiler)  # type: ignore[arg-type]
    assert sensitive_action(rules, Channel(age_restricted)) == action


def test_no_server_rules_means_spoilers() -> None:
    assert sensitive_action(None, object()) == "spoiler"  # a DM: no settings apply
