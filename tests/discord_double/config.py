"""Configuration: users, guilds, roles, members, channels, threads, overwrites, DMs.

Configure before the bot connects (GUILD_CREATE is sent at IDENTIFY). Changes made while it
is connected are announced as Discord would (GUILD_CREATE for a new guild, GUILD_ROLE_CREATE,
GUILD_MEMBER_ADD/UPDATE, CHANNEL_CREATE/UPDATE, THREAD_CREATE), so the bot's cache follows.
"""

from __future__ import annotations

from collections.abc import Sequence

from .constants import (
    CHANNEL_CATEGORY,
    CHANNEL_DM,
    CHANNEL_GROUP_DM,
    CHANNEL_PUBLIC_THREAD,
    CHANNEL_TEXT,
    CHANNEL_VOICE,
    DEFAULT_EVERYONE_PERMISSIONS,
    TIER_FILE_LIMITS,
)
from .events import Events
from .models import Channel, Guild, Member, Overwrite, Role, User, shard_of


class Config(Events):
    def add_user(self, username: str, *, bot: bool = False, accepts_dms: bool = True) -> User:
        """A user. ``accepts_dms=False``: the bot's DMs to them fail with 403 / 50007."""
        user = User(id=self.snowflake(), username=username, bot=bot, accepts_dms=accepts_dms)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "guild",
        *,
        premium_tier: int = 0,
        owner_id: int | None = None,
        real_limit_override: int | None = None,
        channel_names: Sequence[str] = ("general",),
        bot_permissions: int | None = None,
        with_bot: bool = True,
        member_count: int | None = None,
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """A guild with @everyone, text channels, the owner and (``with_bot``) the bot.

        ``bot_permissions`` gives the bot a role with exactly those permissions and takes
        them away from @everyone's defaults, to test permission errors. ``with_bot=False``
        makes a guild the bot is not in (user-install interactions come from such guilds;
        READY/GUILD_CREATE leave it out). ``member_count`` is the count Discord reports when
        larger than the members added (a big guild whose members are not all sent).
        ``shard=(i, n)`` picks an id on shard ``i`` of ``n``; by default consecutive guilds
        land on consecutive shards.
        """
        if premium_tier not in TIER_FILE_LIMITS:
            raise ValueError("premium_tier must be 0..3")
        owner = owner_id if owner_id is not None else self.app_owner.id
        guild = Guild(
            id=self.snowflake.spread(shard),
            name=name,
            owner_id=owner,
            premium_tier=premium_tier,
            real_limit_override=real_limit_override,
            claimed_member_count=member_count,
        )
        everyone = DEFAULT_EVERYONE_PERMISSIONS if bot_permissions is None else 0
        guild.roles[guild.id] = Role(id=guild.id, name="@everyone", permissions=everyone)
        self.guilds[guild.id] = guild
        for channel_name in channel_names:
            self.add_text_channel(guild.id, channel_name)
        guild.members[owner] = Member(user_id=owner)
        if with_bot:
            bot_member = Member(user_id=self.bot.id)
            if bot_permissions is not None:
                role = Role(self.snowflake(), "bot", bot_permissions, position=len(guild.roles))
                guild.roles[role.id] = role
                bot_member.roles.append(role.id)
            guild.members[self.bot.id] = bot_member  # last: nothing announced before
        self._announce_guild(guild)
        return guild

    def shard_of(self, guild_id: int | None, shard_count: int) -> int:
        """The shard of ``shard_count`` that carries a guild's events (DMs: 0)."""
        return shard_of(guild_id, shard_count)

    # --- roles and members ----------------------------------------------------------------

    def add_role(self, guild_id: int, name: str, *, permissions: int = 0) -> Role:
        guild = self.guilds[guild_id]
        role = Role(
            id=self.snowflake(), name=name, permissions=permissions, position=len(guild.roles)
        )
        guild.roles[role.id] = role
        self._announce_role(guild, role)
        return role

    def set_role_permissions(self, guild_id: int, role_id: int, permissions: int) -> Role:
        """Change a role's permissions (role id = guild id for @everyone)."""
        guild = self.guilds[guild_id]
        role = guild.roles[role_id]
        role.permissions = permissions
        self._announce_role(guild, role, "GUILD_ROLE_UPDATE")
        return role

    def add_member(self, guild_id: int, user_id: int, roles: Sequence[int] = ()) -> Member:
        guild = self.guilds[guild_id]
        member = Member(user_id=user_id, roles=list(roles))
        known = user_id in guild.members
        guild.members[user_id] = member
        self._announce_member(
            guild, user_id, "GUILD_MEMBER_UPDATE" if known else "GUILD_MEMBER_ADD"
        )
        return member

    def add_member_role(self, guild_id: int, user_id: int, role_id: int) -> Member:
        guild = self.guilds[guild_id]
        member = guild.members[user_id]
        if role_id not in member.roles:
            member.roles.append(role_id)
            self._announce_member(guild, user_id, "GUILD_MEMBER_UPDATE")
        return member

    def grant(
        self, guild_id: int, user_id: int, permissions: int, *, name: str | None = None
    ) -> Role:
        """Give a user ``permissions`` in a guild (e.g. MANAGE_MESSAGES, MANAGE_GUILD) through
        a new role; makes them a member first if needed."""
        if user_id not in self.guilds[guild_id].members:
            self.add_member(guild_id, user_id)
        role = self.add_role(guild_id, name or f"grant-{permissions:x}", permissions=permissions)
        self.add_member_role(guild_id, user_id, role.id)
        return role

    # --- channels -------------------------------------------------------------------------

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type: int = CHANNEL_TEXT,
        nsfw: bool = False,
        category_id: int | None = None,
        topic: str | None = None,
    ) -> Channel:
        """A guild channel: text (0), voice (2) or category (4)."""
        if type not in (CHANNEL_TEXT, CHANNEL_VOICE, CHANNEL_CATEGORY):
            raise ValueError("add_channel makes text, voice or category channels")
        guild = self.guilds[guild_id]
        channel = Channel(
            id=self.snowflake(),
            name=name,
            type=type,
            guild_id=guild_id,
            position=len(guild.channels),
            nsfw=nsfw,
            parent_id=category_id,
            topic=topic,
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        self._announce_channel(channel)
        return channel

    def add_text_channel(
        self,
        guild_id: int,
        name: str,
        *,
        nsfw: bool = False,
        category_id: int | None = None,
        topic: str | None = None,
    ) -> Channel:
        """A text channel; ``nsfw=True`` makes it age-restricted (``channel.is_nsfw()``)."""
        return self.add_channel(guild_id, name, nsfw=nsfw, category_id=category_id, topic=topic)

    def add_category(self, guild_id: int, name: str) -> Channel:
        return self.add_channel(guild_id, name, type=CHANNEL_CATEGORY)

    def add_voice_channel(
        self, guild_id: int, name: str, *, category_id: int | None = None
    ) -> Channel:
        return self.add_channel(guild_id, name, type=CHANNEL_VOICE, category_id=category_id)

    def add_thread(self, parent_id: int, name: str, *, owner_id: int | None = None) -> Channel:
        """A public thread (type 11) under a text channel: in GUILD_CREATE ``threads``,
        messages can be sent in it, and it is age-restricted when its parent is (discord.py's
        ``Thread.is_nsfw()`` asks the parent)."""
        parent = self.channels[parent_id]
        if parent.type != CHANNEL_TEXT or parent.guild_id is None:
            raise ValueError("threads hang off guild text channels")
        thread = Channel(
            id=self.snowflake(),
            name=name,
            type=CHANNEL_PUBLIC_THREAD,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=owner_id if owner_id is not None else self.bot.id,
        )
        self.guilds[parent.guild_id].threads[thread.id] = thread
        self.channels[thread.id] = thread
        self._announce_channel(thread)
        return thread

    def set_nsfw(self, channel_id: int, nsfw: bool = True) -> Channel:
        channel = self.channels[channel_id]
        channel.nsfw = nsfw
        self._announce_channel(channel, "CHANNEL_UPDATE")
        return channel

    def set_overwrite(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0
    ) -> Overwrite:
        """A permission overwrite on a guild channel for a role (an id in the guild's roles,
        the guild id for @everyone) or a member (any other id). Threads use their parent's."""
        channel = self.channels[channel_id]
        if channel.guild_id is None or channel.is_thread:
            raise ValueError("overwrites live on guild channels (threads use the parent's)")
        kind = 0 if target_id in self.guilds[channel.guild_id].roles else 1
        overwrite = Overwrite(id=target_id, type=kind, allow=allow, deny=deny)
        channel.overwrites[target_id] = overwrite
        self._announce_channel(channel, "CHANNEL_UPDATE")
        return overwrite

    def dm_channel(self, user_id: int) -> Channel:
        """The DM channel between the bot and ``user_id`` (created on first use)."""
        existing = self._dm_by_user.get(user_id)
        if existing is not None:
            return self.channels[existing]
        channel = Channel(id=self.snowflake(), name="", type=CHANNEL_DM, recipient_id=user_id)
        self.channels[channel.id] = channel
        self._dm_by_user[user_id] = channel.id
        return channel

    def add_private_channel(self, *user_ids: int, group: bool = False) -> Channel:
        """A DM between users (or a group DM) that the bot is *not* in: where a user-installed
        app is used with ``context`` 2. The bot can only answer there through the
        interaction; its channel routes get 403 / 50001."""
        if len(user_ids) < 2 and not group:
            raise ValueError("a DM between users needs two of them")
        channel = Channel(
            id=self.snowflake(),
            name="group" if group else "",
            type=CHANNEL_GROUP_DM if group else CHANNEL_DM,
            recipient_ids=list(user_ids),
        )
        self.channels[channel.id] = channel
        return channel

    def set_real_limit(self, guild_id: int, limit: int | None) -> None:
        """Enforce ``limit`` bytes per file in this guild whatever its tier says (None: tier)."""
        self.guilds[guild_id].real_limit_override = limit
