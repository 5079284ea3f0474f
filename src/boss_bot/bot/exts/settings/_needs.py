"""Which Discord permissions each feature needs, and which of them the bot lacks (pure).

A server's settings decide what the bot does in a channel (commands, automatic mode, hiding the
original embed); each of those needs the bot to hold some permissions there. Discord refuses a
missing one per request (403), and automatic mode never says so in the channel (it is quiet by
design), so ``$settings`` and the panel report what is missing before anyone wonders why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boss_bot.core.guilds import GuildSettings

#: discord.Permissions attribute → the name Discord's UI shows.
LABELS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "read_message_history": "Read Message History",
    "add_reactions": "Add Reactions",
    "attach_files": "Attach Files",
    "embed_links": "Embed Links",
    "manage_messages": "Manage Messages",
}


@dataclass(frozen=True)
class Feature:
    """Something the bot does in a channel, and the permissions it needs there."""

    name: str
    permissions: tuple[str, ...]


#: Commands reply (Read Message History), post files and embeds.
COMMANDS = Feature(
    "commands",
    ("view_channel", "send_messages", "read_message_history", "attach_files", "embed_links"),
)
#: Automatic mode reacts (⏳, ⚠️, …) and replies to the original message with the files.
AUTO = Feature(
    "automatic mode",
    ("view_channel", "read_message_history", "add_reactions", "send_messages", "attach_files",
     "embed_links"),
)  # fmt: skip
#: Hiding another author's link embed (the SUPPRESS_EMBEDS flag) takes Manage Messages.
SUPPRESS = Feature("original=suppress", ("manage_messages",))


def features_in(
    settings: GuildSettings, channel_id: int, parent_id: int | None = None
) -> list[Feature]:
    """The features the settings turn on in this channel (a thread follows its parent)."""
    found = []
    if settings.channel_allowed(channel_id, parent_id):
        found.append(COMMANDS)
    if settings.auto_applies(channel_id, parent_id):
        found.append(AUTO)
        if settings.original == "suppress":
            found.append(SUPPRESS)
    return found


def missing(
    granted: object, features: list[Feature], *, thread: bool = False
) -> list[tuple[str, list[str]]]:
    """``(permission label, [features needing it])`` for each permission ``granted`` (a
    ``discord.Permissions``, or anything with its boolean attributes) lacks, in the order first
    needed. In a thread, sending takes Send Messages in Threads instead of Send Messages."""
    lacking: dict[str, list[str]] = {}
    for feature in features:
        for wanted in feature.permissions:
            name = "send_messages_in_threads" if thread and wanted == "send_messages" else wanted
            if not getattr(granted, name, False):
                users = lacking.setdefault(LABELS.get(name, name), [])
                if feature.name not in users:
                    users.append(feature.name)
    return list(lacking.items())


def describe(lacking: list[tuple[str, list[str]]]) -> str:
    """``Manage Messages (original=suppress), Add Reactions (automatic mode)``."""
    return ", ".join(f"{label} ({', '.join(users)})" for label, users in lacking)


__all__ = [
    "AUTO",
    "COMMANDS",
    "LABELS",
    "SUPPRESS",
    "Feature",
    "describe",
    "features_in",
    "missing",
]
