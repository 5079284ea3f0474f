"""Every entry point through an interaction, end to end: "Download media" on a message, the
user-installed `/download` where the bot is not a member (another server, a group DM), the
interaction's own upload limit, and the hand-over to a DM when its token runs out.

The real bot on the Discord double; the double gives user-installed interactions an
``authorizing_integration_owners`` of ``{"1": user}``, no membership for the bot, and an
``attachment_size_limit``, and refuses a token past its (shortened) expiry with 401 / 50027.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest_asyncio

from boss_bot.bot.interactions import HANDOVER_NOTE
from tests.bot.conftest import BotMedia, MakeWorld, World
from tests.discord_double import MIB, DiscordDouble, Guild, Interaction, StoredMessage
from tests.support.media_server import MediaServer
from tests.support.pages import og_video_page

#: A token that lives this long (bot and double agree), handed over to DMs this much earlier.
TOKEN_SECONDS = 6.0
HANDOVER_SECONDS = 4.0


@dataclass
class Places:
    world: World
    outside: Guild  # the bot is not a member: only user installs reach it

    @property
    def double(self) -> DiscordDouble:
        return self.world.double

    async def answered(self, asked: Interaction, count: int = 1, timeout: float = 60) -> list[Any]:
        """The interaction's follow-ups once ``count`` of them carry files."""

        def posted() -> list[StoredMessage] | None:
            found = [self.double.message(i) for i in asked.followup_ids]
            found = [m for m in found if m.attachments]
            return found if len(found) >= count else None

        return await self.world.bounded(self.double.wait_until(posted, timeout), timeout + 1)

    async def status_done(self, asked: Interaction, timeout: float = 60) -> StoredMessage:
        def done() -> StoredMessage | None:
            for message_id in asked.followup_ids:
                m = self.double.message(message_id)
                if "Job `" in m.content and "✅" in m.content:
                    return m
            return None

        return await self.world.bounded(self.double.wait_until(done, timeout), timeout + 1)


@asynccontextmanager
async def make_places(make_world: MakeWorld, **settings: Any) -> AsyncIterator[Places]:
    made: dict[str, Guild] = {}

    def configure(double: DiscordDouble) -> None:
        made["outside"] = outside = double.add_guild("outside", with_bot=False, premium_tier=2)
        for user in list(double.users.values()):
            if not user.bot and user.username in ("alice", "bob"):
                double.add_member(outside.id, user.id)
        tier2 = next(g for g in double.guilds.values() if g.name == "tier2")
        double.add_member(tier2.id, double.app_owner.id)  # the bot's owner: an admin

    async with make_world(configure, **settings) as world:
        yield Places(world, made["outside"])


@pytest_asyncio.fixture
async def places(make_world: MakeWorld) -> AsyncIterator[Places]:
    """Interactions whose tokens live Discord's 15 minutes."""
    async with make_places(make_world) as made:
        yield made


async def test_download_media_takes_the_links_of_the_message_and_its_embeds(
    places: Places, bot_media: BotMedia, media_server: MediaServer
) -> None:
    double, world = places.double, places.world
    channel = world.tier2.default_channel_id
    embed_url = media_server.url("image.png?menu")
    sent = await double.send_user_message(
        channel, world.alice.id, f"two for you: <{bot_media.photo_url}>",
        embeds=[{"type": "rich", "url": embed_url, "title": "preview"}],
    )  # fmt: skip
    asked = await double.inject_message_command(
        channel, world.bob.id, "Download media", int(sent["id"])
    )
    posts = await places.answered(asked, count=2)
    assert asked.callbacks[0]["type"] == 5  # deferred at once
    assert sorted(a.filename for m in posts for a in m.attachments) == ["image.png", "photo.jpg"]
    jobs = await world.bot.pipeline.queue.list(limit=10)
    assert {j.user_id for j in jobs} == {world.bob.id}  # the one who clicked asked for them
    assert all(j.reply is not None for j in jobs)
    assert "token" not in repr(jobs[0]) and jobs[0].reply["token"] not in repr(jobs[0])


async def test_a_message_without_a_link_gets_a_one_liner_only_its_clicker_sees(
    places: Places,
) -> None:
    double, world = places.double, places.world
    channel = world.tier2.default_channel_id
    sent = await double.send_user_message(channel, world.alice.id, "no links here")
    await double.inject_message_command(channel, world.bob.id, "Download media", int(sent["id"]))
    [reply] = await world.bounded(
        double.wait_until(lambda: double.ephemeral_messages(world.bob.id), 10), 11
    )
    assert reply.content == "That message has no link I can download."
    assert await world.bot.pipeline.queue.list(limit=5) == []


async def test_user_installed_download_where_the_bot_is_not_fits_the_interactions_limit(
    places: Places, media_server: MediaServer, media_dir: Path
) -> None:
    """No server settings apply there: sensitive media is spoilered (not blocked, the
    default elsewhere), and files fit the interaction's own limit."""
    double = places.double
    media_server.add_file("outside.mp4", media_dir / "big.mp4", "video/mp4")
    page = media_server.add_page("outside.html", og_video_page("Adult", "outside.mp4", rta=True))
    channel = places.outside.default_channel_id
    asked = await double.inject_interaction(
        channel, places.world.alice.id, "download", {"url": page},
        install="user", attachment_size_limit=1 * MIB,
    )  # fmt: skip
    [post] = await places.answered(asked)
    [attachment] = post.attachments
    assert attachment.filename.startswith("SPOILER_") and attachment.size <= 1 * MIB
    assert (media_dir / "big.mp4").stat().st_size > 1 * MIB  # it really had to be fitted
    assert places.world.bot.get_guild(places.outside.id) is None


async def test_user_installed_download_in_a_group_dm(places: Places, bot_media: BotMedia) -> None:
    double, world = places.double, places.world
    group = double.add_private_channel(world.alice.id, world.bob.id, group=True)
    asked = await double.inject_interaction(
        group.id, world.bob.id, "download", {"url": bot_media.png_url}, install="user"
    )  # fmt: skip
    [post] = await places.answered(asked)
    assert [a.filename for a in post.attachments] == ["image.png"]
    assert post.channel_id == group.id
    await places.status_done(asked)


async def test_a_job_still_running_when_the_token_ends_is_delivered_by_dm(
    make_world: MakeWorld, media_server: MediaServer
) -> None:
    async with make_places(
        make_world,
        interaction_token_seconds=TOKEN_SECONDS,
        interaction_handover_seconds=HANDOVER_SECONDS,
    ) as places:
        await _handover(places, media_server)


async def _handover(places: Places, media_server: MediaServer) -> None:
    double, world = places.double, places.world
    channel = places.outside.default_channel_id
    slow = media_server.url("slow/clip.mp4")  # dripped: outlives the handover point
    asked = await double.inject_interaction(
        channel, world.alice.id, "download", {"url": slow}, install="user",
        token_ttl=TOKEN_SECONDS,
    )  # fmt: skip
    dm = double.dm_channel(world.alice.id)

    def delivered() -> list[StoredMessage] | None:
        found = [m for m in double.bot_messages(dm.id) if m.attachments]
        return found or None

    [post] = await world.bounded(double.wait_until(delivered, 60), 61)
    assert [a.filename.endswith(".mp4") for a in post.attachments] == [True]
    notes = [double.message(i).content for i in asked.followup_ids]
    assert HANDOVER_NOTE in notes  # said in the last follow-up before the token expired
    summary = await world.bounded(
        double.wait_until(lambda: [m for m in double.bot_messages(dm.id) if "✅" in m.content], 10),
        11,
    )
    assert "Job `" in summary[0].content
    assert asked.expired_calls == 0  # nothing was sent through the dead token


async def test_sync_registers_the_install_types(places: Places) -> None:
    world = places.world
    await world.say(world.tier2, "$sync global", user=world.double.app_owner)
    await world.bounded(world.double.wait_until(lambda: world.double.commands.get(None), 10), 11)
    found = {(c["name"], c["type"]): c for c in world.double.commands[None]}
    for name in ("download", "yt-download", "status", "cancel", "ignore-me"):
        assert found[(name, 1)]["integration_types"] == [0, 1], name
        assert found[(name, 1)]["contexts"] == [0, 1, 2], name
    menu = found[("Download media", 3)]
    assert (menu["integration_types"], menu["contexts"]) == ([0, 1], [0, 1, 2])
    for name in ("sync", "reload", "cleanup", "priority", "settings"):
        assert found[(name, 1)]["integration_types"] == [0], name
        assert found[(name, 1)]["contexts"] == [0], name
