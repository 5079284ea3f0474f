"""Guild features against real discord.py: channels (age-restricted, threads), roles and
overwrites, reactions, another author's flags, deletions, embeds and replies, live updates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from discord.ext import commands

from . import (
    ADD_REACTIONS,
    ATTACH_FILES,
    FLAG_SUPPRESS_EMBEDS,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Channel,
    DiscordDouble,
    Guild,
    User,
)
from .harness import QuietIdentify, Running, running

TALK = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY


class FeatureBot(QuietIdentify, commands.Bot):
    def __init__(self, *, members: bool = True) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        intents.members = members
        super().__init__(
            command_prefix="$",
            intents=intents,
            help_command=None,
            guild_ready_timeout=0.1,
            max_messages=None,
        )
        self.seen: list[discord.Message] = []
        self.raw: list[tuple[str, Any]] = []

        @self.command()
        async def where(ctx: commands.Context[FeatureBot]) -> None:
            thread = isinstance(ctx.channel, discord.Thread)
            await ctx.send(f"nsfw={ctx.channel.is_nsfw()} thread={thread}")  # type: ignore[union-attr]

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)
        await self.process_commands(message)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.raw.append(("reaction_add", payload))

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        self.raw.append(("reaction_remove", payload))

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        self.raw.append(("message_edit", payload))

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self.raw.append(("message_delete", payload))

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.raw.append(("guild_join", guild))


@dataclass
class Place:
    run: Running
    guild: Guild
    general: Channel
    adults: Channel
    thread: Channel
    adult_thread: Channel
    strict: Guild  # the bot may only talk there: no reactions, no moderation
    alice: User
    bob: User

    @property
    def double(self) -> DiscordDouble:
        return self.run.double

    @property
    def bot(self) -> FeatureBot:
        return self.run.bot

    async def user_message(self, channel: Channel, author: User, content: str, **kw: Any) -> int:
        before = len(self.bot.seen)
        sent = await self.double.send_user_message(channel.id, author.id, content, **kw)
        await self.run.until(lambda: len(self.bot.seen) > before)
        return int(sent["id"])

    async def fetch(self, channel: Channel, message_id: int) -> discord.Message:
        return await self.bot.get_partial_messageable(channel.id).fetch_message(message_id)


@pytest.fixture
async def place(caplog: pytest.LogCaptureFixture) -> AsyncIterator[Place]:
    async with DiscordDouble() as double:
        guild = double.add_guild("home", channel_names=("general",))
        adults = double.add_text_channel(guild.id, "adults", nsfw=True)
        general = double.channels[guild.default_channel_id]
        thread = double.add_thread(general.id, "chat")
        adult_thread = double.add_thread(adults.id, "after-dark")
        strict = double.add_guild("strict", bot_permissions=TALK)
        alice, bob = double.add_user("alice"), double.add_user("bob")
        for g in (guild, strict):
            double.add_member(g.id, alice.id)
            double.add_member(g.id, bob.id)
        async with running(double, FeatureBot(), caplog=caplog) as run:
            yield Place(run, guild, general, adults, thread, adult_thread, strict, alice, bob)


# --- channels and threads -----------------------------------------------------------------


async def test_age_restricted_channel_and_threads(place: Place) -> None:
    bot, double = place.bot, place.double
    dguild = bot.get_guild(place.guild.id)
    assert dguild is not None
    assert sorted(c.name for c in dguild.text_channels) == ["adults", "general"]
    adults = dguild.get_channel(place.adults.id)
    assert isinstance(adults, discord.TextChannel) and adults.is_nsfw()
    thread = dguild.get_thread(place.thread.id)
    adult_thread = dguild.get_thread(place.adult_thread.id)
    assert isinstance(thread, discord.Thread) and isinstance(adult_thread, discord.Thread)
    assert (thread.parent_id, thread.is_nsfw()) == (place.general.id, False)
    assert (adult_thread.parent_id, adult_thread.is_nsfw()) == (place.adults.id, True)  # parent's

    for channel, expected in [
        (place.adult_thread, "nsfw=True thread=True"),
        (place.general, "nsfw=False thread=False"),
    ]:
        await double.send_user_message(channel.id, place.alice.id, "$where")
        reply = await place.run.bounded(double.wait_for_message(channel.id))
        assert reply.content == expected
    posted = await adult_thread.send(file=discord.File(__file__, "x.py"))
    assert double.message(posted.id).channel_id == place.adult_thread.id


# --- reactions ----------------------------------------------------------------------------


async def test_reactions_are_recorded_dispatched_and_removed(place: Place) -> None:
    double, bot = place.double, place.bot
    mid = await place.user_message(place.general, place.alice, "https://example.com/x")
    message = await place.fetch(place.general, mid)
    await message.add_reaction("⏳")
    await message.add_reaction("<:blob:123456789012345678>")
    assert double.reactions(mid) == ["⏳", "blob:123456789012345678"]
    assert double.reactions(mid, user_id=double.bot.id) == ["⏳", "blob:123456789012345678"]
    await message.remove_reaction("⏳", bot.user)  # type: ignore[arg-type]  # DELETE .../@me
    assert double.reactions(mid) == ["blob:123456789012345678"]
    events = double.reaction_events(mid)
    assert [(e.kind, e.emoji, e.user_id) for e in events][::2] == [
        ("add", "⏳", double.bot.id),
        ("remove", "⏳", double.bot.id),
    ]
    assert events[0].at <= events[2].at

    await double.react(mid, place.bob.id, "👍")
    await place.run.until(lambda: len(bot.raw) >= 4)
    kinds = [(k, str(p.emoji), p.user_id) for k, p in bot.raw]
    assert kinds == [
        ("reaction_add", "⏳", double.bot.id),
        ("reaction_add", "<:blob:123456789012345678>", double.bot.id),
        ("reaction_remove", "⏳", double.bot.id),
        ("reaction_add", "👍", place.bob.id),
    ]
    fetched = await place.fetch(place.general, mid)
    assert {str(r.emoji): (r.count, r.me) for r in fetched.reactions} == {
        "<:blob:123456789012345678>": (1, True),
        "👍": (1, False),
    }
    # Removing someone else's reaction is moderation: MANAGE_MESSAGES (the owner role has
    # none; the bot here has @everyone's defaults).
    with pytest.raises(discord.Forbidden) as info:
        await fetched.remove_reaction("👍", discord.Object(place.bob.id))
    assert info.value.code == 50013


async def test_reactions_need_add_reactions_and_history(place: Place) -> None:
    double = place.double
    strict_general = double.channels[place.strict.default_channel_id]
    mid = await place.user_message(strict_general, place.alice, "hello")
    message = await place.fetch(strict_general, mid)
    with pytest.raises(discord.Forbidden) as info:
        await message.add_reaction("⏳")  # a new emoji needs ADD_REACTIONS
    assert (info.value.status, info.value.code) == (403, 50013)
    await double.react(mid, place.alice.id, "⏳")
    await message.add_reaction("⏳")  # joining an existing reaction does not
    assert double.reactions(mid, user_id=double.bot.id) == ["⏳"]

    bot_role = next(r for r in place.strict.roles.values() if r.name == "bot")
    double.set_role_permissions(place.strict.id, bot_role.id, VIEW_CHANNEL | SEND_MESSAGES)
    with pytest.raises(discord.Forbidden):
        await message.add_reaction("⏳")  # no READ_MESSAGE_HISTORY: never
    assert [r.code for r in double.requests_to("PUT", "/channels/*/reactions/*")] == [
        50013,
        None,
        50013,
    ]


# --- another author's message: flags, content, deletion -----------------------------------


async def test_suppressing_a_users_embeds_needs_manage_messages(place: Place) -> None:
    double, bot = place.double, place.bot
    embed = {"type": "link", "url": "https://example.com/v", "title": "a video"}
    mid = await place.user_message(place.general, place.alice, "look", embeds=[embed])
    message = await place.fetch(place.general, mid)
    assert message.embeds[0].url == "https://example.com/v"
    with pytest.raises(discord.Forbidden) as info:
        await message.edit(suppress=True)
    assert info.value.code == 50013
    with pytest.raises(discord.Forbidden) as info:
        await message.edit(content="mine now")
    assert info.value.code == 50005  # never, whatever the permissions

    role = double.grant(place.guild.id, double.bot.id, MANAGE_MESSAGES, name="mod")
    me = bot.get_guild(place.guild.id).me  # type: ignore[union-attr]
    await place.run.until(lambda: me.guild_permissions.manage_messages)
    assert [r.id for r in me.roles][-1] == role.id  # GUILD_ROLE_CREATE + own MEMBER_UPDATE
    edited = await message.edit(suppress=True)
    assert edited.flags.suppress_embeds
    stored = double.message(mid)
    assert stored.flags & FLAG_SUPPRESS_EMBEDS and stored.content == "look"
    [change] = stored.flag_changes
    assert (change.by, change.before, change.after) == (double.bot.id, 0, FLAG_SUPPRESS_EMBEDS)
    await place.run.until(lambda: any(k == "message_edit" for k, _ in bot.raw))
    with pytest.raises(discord.Forbidden) as info:
        await message.edit(content="still not mine")
    assert info.value.code == 50005


async def test_deleting_another_authors_message(place: Place) -> None:
    double = place.double
    mid = await place.user_message(place.general, place.alice, "spam")
    message = await place.fetch(place.general, mid)
    with pytest.raises(discord.Forbidden):
        await message.delete()
    own = await message.channel.send("mine")
    await own.delete()  # always allowed
    double.grant(place.guild.id, double.bot.id, MANAGE_MESSAGES)
    await message.delete()
    stored = double.message(mid)
    assert (stored.deleted, stored.deleted_by) == (True, double.bot.id)
    assert [m.id for m in double.deleted_messages(place.general.id)] == [mid, own.id]

    dm = double.dm_channel(place.alice.id)
    dm_mid = await place.user_message(dm, place.alice, "in a DM")
    with pytest.raises(discord.Forbidden) as info:
        await (await place.fetch(dm, dm_mid)).delete()
    assert info.value.code == 50003


# --- roles, overwrites and permissions ----------------------------------------------------


async def test_roles_and_overwrites_reach_guild_create_and_interactions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with DiscordDouble() as double:
        guild = double.add_guild("g")
        bob, carol = double.add_user("bob"), double.add_user("carol")
        double.add_member(guild.id, carol.id)
        admin = double.grant(guild.id, bob.id, MANAGE_GUILD | MANAGE_MESSAGES, name="admins")
        news = double.add_text_channel(guild.id, "news")
        double.set_overwrite(news.id, guild.id, deny=SEND_MESSAGES)  # @everyone is read-only
        double.set_overwrite(news.id, admin.id, allow=SEND_MESSAGES)
        secret = double.add_text_channel(guild.id, "secret")
        double.set_overwrite(secret.id, double.bot.id, deny=VIEW_CHANNEL)
        seen: list[discord.Interaction] = []
        bot = FeatureBot()

        @bot.tree.command()
        async def perms(interaction: discord.Interaction) -> None:
            seen.append(interaction)
            await interaction.response.send_message("ok", ephemeral=True)

        async with running(double, bot, caplog=caplog) as run:
            dguild = bot.get_guild(guild.id)
            assert dguild is not None
            dbob = dguild.get_member(bob.id)
            assert dbob is not None and [r.name for r in dbob.roles] == ["@everyone", "admins"]
            assert dbob.guild_permissions.manage_guild
            dnews = dguild.get_channel(news.id)
            assert isinstance(dnews, discord.TextChannel)
            assert not dnews.permissions_for(dguild.me).send_messages  # overwrites parsed
            assert dnews.permissions_for(dbob).send_messages
            with pytest.raises(discord.Forbidden) as info:
                await dnews.send("hi")
            assert info.value.code == 50013  # the double applies the overwrite too
            with pytest.raises(discord.Forbidden) as info:
                await bot.http.send_message(secret.id, params=_text("hi"))
            assert info.value.code == 50001  # cannot even see it

            for user in (bob, carol):
                await double.inject_interaction(news.id, user.id, "perms")
            await run.until(lambda: len(seen) == 2)
            by_bob, by_carol = seen
            assert by_bob.permissions.manage_guild and by_bob.permissions.send_messages
            assert not by_carol.permissions.manage_guild
            assert not by_carol.permissions.send_messages  # channel-level, with overwrites
            assert not by_bob.app_permissions.send_messages  # the bot's own, in #news
            assert by_bob.is_guild_integration() and not by_bob.is_user_integration()
            await run.bounded(double.wait_until(lambda: len(double.ephemeral_messages(bob.id))))


def _text(content: str) -> Any:
    from discord.http import handle_message_parameters

    return handle_message_parameters(content=content)


# --- user messages: embeds and replies; live updates --------------------------------------


async def test_user_reply_with_embeds_reaches_the_bot(place: Place) -> None:
    bot = place.bot
    original = await place.bot.get_channel(place.general.id).send("post a link")  # type: ignore[union-attr]
    embed = {"type": "rich", "url": "https://x.test/status/1", "video": {"url": "https://v/1"}}
    await place.user_message(
        place.general, place.alice, "here", embeds=[embed], reply_to=original.id
    )
    seen = bot.seen[-1]
    assert seen.embeds[0].url == "https://x.test/status/1"
    assert seen.embeds[0].video.url == "https://v/1"
    assert seen.reference is not None and seen.reference.message_id == original.id
    assert isinstance(seen.reference.resolved, discord.Message)
    assert seen.type is discord.MessageType.reply


async def test_changes_after_connecting_are_announced(place: Place) -> None:
    double, bot = place.double, place.bot
    late = double.add_text_channel(place.guild.id, "late", nsfw=True)
    thread = double.add_thread(late.id, "late-thread")
    joined = double.add_guild("joined-later")
    await place.run.until(lambda: bot.get_channel(thread.id) and bot.get_guild(joined.id))
    dlate = bot.get_channel(late.id)
    assert isinstance(dlate, discord.TextChannel) and dlate.is_nsfw()
    assert [g.id for k, g in bot.raw if k == "guild_join"] == [joined.id]
    double.set_nsfw(late.id, False)
    await place.run.until(lambda: not bot.get_channel(late.id).is_nsfw())  # type: ignore[union-attr]


async def test_attach_files_is_enforced_per_channel(place: Place) -> None:
    double = place.double
    double.set_overwrite(place.adults.id, place.guild.id, deny=ATTACH_FILES | ADD_REACTIONS)
    channel = place.bot.get_channel(place.adults.id)
    assert isinstance(channel, discord.TextChannel)
    await place.run.until(lambda: not channel.permissions_for(channel.guild.me).attach_files)
    with pytest.raises(discord.Forbidden) as info:
        await channel.send(file=discord.File(__file__, "x.py"))
    assert info.value.code == 50013
    await channel.send("text is fine")
