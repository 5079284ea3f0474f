"""Automatic mode, sensitive media and the 🗑 button, end to end: the real bot on the Discord
double, the real tools on local pages.

The tier-2 guild gets a channel where automatic mode is on ("media"), a thread in it, an
age-restricted channel ("adult") and the default channel ("general", automatic mode off).
Local links route to the ``generic`` platform, so the guild's ``auto_platforms`` names it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from boss_bot.bot.quiet import ALREADY_POSTED, FAILED, REFUSED, SENSITIVE, WORKING
from tests.bot.conftest import BotMedia, MakeWorld, World
from tests.discord_double import (
    FLAG_SUPPRESS_EMBEDS,
    MANAGE_MESSAGES,
    Channel,
    DiscordDouble,
    StoredMessage,
)
from tests.support.media_server import MediaServer
from tests.support.pages import og_video_page


@pytest.fixture(scope="module")
def rta_url(media_server: MediaServer, media_dir: Path) -> str:
    media_server.add_file("auto-rta.mp4", media_dir / "clip.mp4", "video/mp4")
    return media_server.add_page(
        "auto-rta.html", og_video_page("Adult clip", "auto-rta.mp4", rta=True)
    )


@dataclass
class AutoWorld:
    world: World
    media: Channel
    thread: Channel
    adult: Channel
    general: int

    @property
    def double(self) -> DiscordDouble:
        return self.world.double

    async def set(self, key: str, *words: str) -> None:
        await self.world.bot.guild_settings.set(self.world.tier2.id, key, list(words), by=1)

    async def paste(self, channel_id: int, text: str, user: Any = None) -> int:
        payload = await self.double.send_user_message(
            channel_id, (user or self.world.alice).id, text
        )
        return int(payload["id"])

    def replies(self, channel_id: int, message_id: int) -> list[StoredMessage]:
        return [
            m
            for m in self.double.public_messages(channel_id)
            if m.author_id == self.double.bot.id
            and m.reference
            and int(m.reference["message_id"]) == message_id
        ]

    def bot_reactions(self, message_id: int) -> list[str]:
        return self.double.reactions(message_id, user_id=self.double.bot.id)

    async def settled(self, channel_id: int, message_id: int, timeout: float = 60) -> list[str]:
        """Wait until the bot's ⏳ came and went on a message; its reactions then."""

        def done() -> list[str] | None:
            events = self.double.reaction_events(message_id)
            came = any(e.kind == "add" and e.emoji == WORKING for e in events)
            if came and WORKING not in self.bot_reactions(message_id):
                return self.bot_reactions(message_id) or ["(none)"]
            return None

        found = await self.world.bounded(self.double.wait_until(done, timeout), timeout + 1)
        return [] if found == ["(none)"] else found


@pytest_asyncio.fixture
async def auto(make_world: MakeWorld) -> AsyncIterator[AutoWorld]:
    made: dict[str, Channel] = {}

    def configure(double: DiscordDouble) -> None:
        guild = next(g for g in double.guilds.values() if g.name == "tier2")
        made["media"] = double.add_text_channel(guild.id, "media")
        made["adult"] = double.add_text_channel(guild.id, "adult", nsfw=True)
        made["thread"] = double.add_thread(made["media"].id, "talk")

    async with make_world(configure) as world:
        aw = AutoWorld(world, made["media"], made["thread"], made["adult"],
                       world.tier2.default_channel_id)  # fmt: skip
        await aw.set("auto", "channels")
        await aw.set("auto_channels", str(aw.media.id), str(aw.adult.id))
        await aw.set("auto_platforms", "generic")
        yield aw


async def test_a_pasted_link_is_posted_as_a_quiet_reply_and_other_channels_stay_silent(
    auto: AutoWorld, bot_media: BotMedia
) -> None:
    silent = await auto.paste(auto.general, f"look {bot_media.photo_url}")
    msg = await auto.paste(auto.media.id, f"look {bot_media.photo_url}")
    assert await auto.settled(auto.media.id, msg) == []
    [reply] = auto.replies(auto.media.id, msg)
    assert [a.filename for a in reply.attachments] == ["photo.jpg"]
    assert bot_media.photo_url not in reply.content  # the original already shows the link
    assert reply.payload["allowed_mentions"]["replied_user"] is False  # nobody pinged
    assert "Job `" not in "".join(m.content for m in auto.double.public_messages(auto.media.id))
    assert auto.replies(auto.general, silent) == []
    assert auto.bot_reactions(silent) == []
    # A thread follows its parent channel.
    in_thread = await auto.paste(auto.thread.id, f"{bot_media.png_url}")
    await auto.settled(auto.thread.id, in_thread)
    assert [a.filename for a in auto.replies(auto.thread.id, in_thread)[0].attachments] == [
        "image.png"
    ]


async def test_suppressed_links_spoilers_and_opted_out_users(
    auto: AutoWorld, bot_media: BotMedia, media_server: MediaServer
) -> None:
    ignored = await auto.paste(auto.media.id, f"<{bot_media.photo_url}>")
    spoiler_url = media_server.url("photo.jpg?spoiler")
    spoilered = await auto.paste(auto.media.id, f"||{spoiler_url}||")
    await auto.settled(auto.media.id, spoilered)
    [reply] = auto.replies(auto.media.id, spoilered)
    assert [a.filename for a in reply.attachments] == ["SPOILER_photo.jpg"]
    assert auto.replies(auto.media.id, ignored) == [] and auto.bot_reactions(ignored) == []

    asked = await auto.world.say(auto.world.tier2, "$ignore-me", user=auto.world.bob)
    await auto.world.bounded(
        auto.double.wait_until(lambda: auto.world.replies_to(auto.world.tier2, asked), 10), 11
    )
    assert (
        "leave the links you post alone"
        in auto.world.replies_to(auto.world.tier2, asked)[0].content
    )
    opted_out = await auto.paste(auto.media.id, bot_media.png_url, user=auto.world.bob)
    # Someone else's message afterwards proves the bot has handled bob's by then.
    after = await auto.paste(auto.media.id, media_server.url("image.png?after"))
    await auto.settled(auto.media.id, after)
    assert auto.replies(auto.media.id, opted_out) == [] and auto.bot_reactions(opted_out) == []
    assert await auto.world.bot.guild_settings.ignored(auto.world.bob.id)


async def test_a_prefix_command_is_not_handled_twice(auto: AutoWorld, bot_media: BotMedia) -> None:
    msg = await auto.paste(auto.media.id, f"$download {bot_media.photo_url}")
    status = await auto.world.bounded(
        auto.double.wait_until(
            lambda: [m for m in auto.replies(auto.media.id, msg) if "✅" in m.content], 30
        ),
        31,
    )
    assert len(status) == 1
    uploads = [m for m in auto.double.public_messages(auto.media.id) if m.attachments]
    assert len(uploads) == 1
    assert WORKING not in [e.emoji for e in auto.double.reaction_events(msg)]


@pytest.mark.parametrize(
    ("channel", "sensitive", "nsfw_spoiler", "expect"),
    [
        ("media", "block", "on", "blocked"),
        ("media", "spoiler", "on", "spoiler"),
        ("adult", "block", "on", "spoiler"),
        ("adult", "block", "off", "plain"),
    ],
)
async def test_sensitive_media_by_channel_and_setting(
    auto: AutoWorld, rta_url: str, channel: str, sensitive: str, nsfw_spoiler: str, expect: str
) -> None:
    await auto.set("sensitive", sensitive)
    await auto.set("nsfw_spoiler", nsfw_spoiler)
    channel_id = auto.media.id if channel == "media" else auto.adult.id
    msg = await auto.paste(channel_id, rta_url)
    marks = await auto.settled(channel_id, msg)
    replies = auto.replies(channel_id, msg)
    if expect == "blocked":
        assert marks == [SENSITIVE] and replies == []
        assert list(auto.world.settings.requests_dir.iterdir()) == []  # nothing kept
        return
    assert marks == []
    [name] = [a.filename for a in replies[0].attachments]
    assert name.startswith("SPOILER_") is (expect == "spoiler"), name


async def test_a_command_in_a_normal_channel_says_why_sensitive_media_is_blocked(
    auto: AutoWorld, rta_url: str
) -> None:
    msg = await auto.world.say(auto.world.tier2, f"$download {rta_url}")
    [status] = await auto.world.final_status(auto.world.tier2, msg)
    assert "marked as sensitive: ask in an age-restricted channel" in status.content
    assert [m for m in auto.double.public_messages(auto.general) if m.attachments] == []


async def test_original_embeds_are_suppressed_only_with_manage_messages(
    auto: AutoWorld, bot_media: BotMedia, media_server: MediaServer
) -> None:
    await auto.set("original", "suppress")
    without = await auto.paste(auto.media.id, media_server.url("photo.jpg?no-perm"))
    await auto.settled(auto.media.id, without)
    assert auto.replies(auto.media.id, without)  # posted; nothing failed
    assert auto.double.message(without).flag_changes == []

    auto.double.grant(auto.world.tier2.id, auto.double.bot.id, MANAGE_MESSAGES)
    allowed = await auto.paste(auto.media.id, media_server.url("photo.jpg?perm"))
    await auto.settled(auto.media.id, allowed)
    [change] = auto.double.message(allowed).flag_changes
    assert change.after & FLAG_SUPPRESS_EMBEDS and change.by == auto.double.bot.id


async def test_failures_react_and_reply_only_when_the_author_can_act(
    auto: AutoWorld, media_server: MediaServer
) -> None:
    gone = await auto.paste(auto.media.id, media_server.url("status/404"))
    assert await auto.settled(auto.media.id, gone) == [FAILED]
    assert auto.replies(auto.media.id, gone) == []


async def test_dedup_and_quota_refusals_are_reactions(
    make_world: MakeWorld, bot_media: BotMedia, media_server: MediaServer
) -> None:
    async with make_world(user_rate_limit=2) as world:
        aw = AutoWorld(world, _channel(world), _channel(world), _channel(world),
                       world.tier2.default_channel_id)  # fmt: skip
        await aw.set("auto", "everywhere")
        await aw.set("auto_platforms", "generic")
        first = await aw.paste(aw.general, bot_media.photo_url)
        await aw.settled(aw.general, first)
        again = await aw.paste(aw.general, bot_media.photo_url)
        assert await aw.settled(aw.general, again) == [ALREADY_POSTED]
        third = await aw.paste(aw.general, media_server.url("image.png?q1"))
        await aw.settled(aw.general, third)
        over = await aw.paste(aw.general, media_server.url("image.png?q2"))
        assert await aw.settled(aw.general, over) == [REFUSED]
        assert aw.replies(aw.general, over) == []


def _channel(world: World) -> Channel:
    return world.double.channels[world.tier2.default_channel_id]


# --- the 🗑 button ------------------------------------------------------------------------------


async def _post_with_button(
    auto: AutoWorld, url: str, via_command: bool
) -> tuple[int, list[StoredMessage], StoredMessage]:
    if via_command:
        msg = await auto.world.say(auto.world.tier2, f"$download {url}")
        await auto.world.final_status(auto.world.tier2, msg)
        channel = auto.general
    else:
        msg = await auto.paste(auto.media.id, url)
        await auto.settled(auto.media.id, msg)
        channel = auto.media.id
    mine = [m for m in auto.double.public_messages(channel) if m.author_id == auto.double.bot.id]
    last = [m for m in mine if m.attachments][-1]
    return channel, mine, last


def _delete_id(message: StoredMessage) -> str:
    ids = [c["custom_id"] for row in message.components for c in row.get("components", [])]
    [custom_id] = [i for i in ids if i.startswith("boss:delete:")]
    return custom_id


Click = Callable[[int, str, int], Awaitable[Any]]


@pytest.mark.parametrize("via_command", [True, False])
async def test_the_requester_deletes_every_message_of_the_job(
    auto: AutoWorld, bot_media: BotMedia, media_server: MediaServer, via_command: bool
) -> None:
    url = media_server.url(f"page/gallery.html?del={via_command}")
    channel, mine, last = await _post_with_button(auto, url, via_command)
    posts = [m for m in mine if m.attachments]
    assert len(posts) >= 2  # 14 images: more than one message, the button on the last only
    assert channel in (auto.general, auto.media.id)
    assert all(not m.components for m in posts[:-1])
    await auto.double.click_button(last.id, _delete_id(last), auto.world.alice.id)
    gone = {m.id for m in mine if "Job `" in m.content or m.attachments}
    await auto.world.bounded(
        auto.double.wait_until(lambda: all(auto.double.message(i).deleted for i in gone), 10),
        11,
    )


async def test_a_moderator_may_delete_and_a_stranger_is_refused(
    auto: AutoWorld, bot_media: BotMedia
) -> None:
    _channel_id, _mine, last = await _post_with_button(auto, bot_media.png_url, False)
    stranger = auto.double.add_user("stranger")
    auto.double.add_member(auto.world.tier2.id, stranger.id)
    await auto.double.click_button(last.id, _delete_id(last), stranger.id)
    refusal = await auto.world.bounded(
        auto.double.wait_until(lambda: auto.double.ephemeral_messages(stranger.id), 10), 11
    )
    assert "can delete this" in refusal[-1].content
    assert not auto.double.message(last.id).deleted

    moderator = auto.world.bob
    auto.double.grant(auto.world.tier2.id, moderator.id, MANAGE_MESSAGES)
    await auto.double.click_button(last.id, _delete_id(last), moderator.id)
    await auto.world.bounded(
        auto.double.wait_until(lambda: auto.double.message(last.id).deleted, 10), 11
    )
