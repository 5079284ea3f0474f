"""`GuildSettings`: one server's settings, and the rules the bot applies with them.

A frozen pydantic model with exactly the keys of issue 14 (:data:`~.values.KEYS`), so Discord,
``bossctl guild`` and the docs name the same things. The rules are pure methods (channel and role
ids in, a yes/no or a one-line reason out), so the bot, the workers and the tests ask the same
question the same way and nothing here needs Discord.

A server that changed nothing has :meth:`GuildSettings.defaults`, built from the environment
(:class:`~boss_bot.core.settings.guilds.GuildDefaultSettings`, plus ``ALLOWED_CHANNEL_IDS`` and
``ALLOWED_ROLE_IDS``, which keep working as the defaults of ``allowed_channels`` and
``allowed_roles``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, field_validator

from boss_bot.core.guilds import values
from boss_bot.core.settings.guilds import (
    DEFAULT_AUTO_PLATFORMS,
    AutoMode,
    OnOff,
    OriginalMode,
    SensitiveMode,
    TooBigMode,
    YtQuality,
)

if TYPE_CHECKING:
    from boss_bot.core.jobs.requests import SensitiveAction
    from boss_bot.core.settings import BossSettings

#: The one-line refusals of download commands (the wording the bot has always used).
CHANNEL_REFUSAL = "Downloads aren't enabled in this channel."
ROLE_REFUSAL = "You need one of the roles allowed to use downloads."


class GuildSettings(BaseModel):
    """One server's settings: the defaults, with what the server changed on top."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auto: AutoMode = "off"
    auto_channels: tuple[int, ...] = ()
    auto_platforms: tuple[str, ...] = DEFAULT_AUTO_PLATFORMS
    allowed_channels: tuple[int, ...] = ()
    denied_channels: tuple[int, ...] = ()
    allowed_roles: tuple[int, ...] = ()
    sensitive: SensitiveMode = "block"
    nsfw_spoiler: OnOff = "on"
    original: OriginalMode = "keep"
    quality: YtQuality = "720p"  # type: ignore[valid-type]
    too_big: TooBigMode = "compress"

    @field_validator("auto_channels", "allowed_channels", "denied_channels", "allowed_roles")
    @classmethod
    def _sorted_ids(cls, ids: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 < i <= values.MAX_ID for i in ids):
            raise ValueError("ids are positive 64-bit integers")
        return tuple(sorted(set(ids)))

    @field_validator("auto_platforms")
    @classmethod
    def _registry_order(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        return values.parse_words("auto_platforms", names) if names else ()  # type: ignore[return-value]

    @classmethod
    def defaults(cls, settings: BossSettings) -> GuildSettings:
        """What a server that changed nothing has: the environment's defaults."""
        return cls(
            auto=settings.guild_default_auto,
            auto_channels=tuple(settings.auto_channel_ids),
            auto_platforms=tuple(settings.guild_default_auto_platforms),
            allowed_channels=tuple(settings.allowed_channel_ids),
            denied_channels=tuple(settings.denied_channel_ids),
            allowed_roles=tuple(settings.allowed_role_ids),
            sensitive=settings.guild_default_sensitive,
            nsfw_spoiler="on" if settings.guild_default_nsfw_spoiler else "off",
            original=settings.guild_default_original,
            quality=settings.guild_default_quality,
            too_big=settings.guild_default_too_big,
        )

    def with_values(self, changed: Mapping[str, Any]) -> GuildSettings:
        """These settings with some keys replaced by model values (validated again)."""
        return type(self).model_validate({**self.model_dump(), **changed})

    def value(self, key: str) -> values.Value:
        """The value of ``key`` (any case); a SettingsError naming the keys when unknown."""
        return getattr(self, values.spec(key).name)  # type: ignore[no-any-return]

    # --- the rules ------------------------------------------------------------------------------

    def channel_allowed(self, channel_id: int | None, parent_id: int | None = None) -> bool:
        """May commands and auto mode run in this channel? A thread (``parent_id`` set) counts
        as its parent too: a denied parent denies its threads, an allowed one allows them.
        Denied wins over allowed; an empty ``allowed_channels`` allows every channel."""
        here = {i for i in (channel_id, parent_id) if i is not None}
        if here & set(self.denied_channels):
            return False
        return not self.allowed_channels or bool(here & set(self.allowed_channels))

    def role_allowed(self, role_ids: Collection[int]) -> bool:
        """May someone with these roles use downloads? An empty ``allowed_roles``: everyone."""
        return not self.allowed_roles or bool(set(role_ids) & set(self.allowed_roles))

    def auto_applies(self, channel_id: int | None, parent_id: int | None = None) -> bool:
        """Is automatic mode on in this channel (or in the thread's parent)? Never where
        commands are not allowed (a denied channel, or outside ``allowed_channels``)."""
        if self.auto == "off" or not self.channel_allowed(channel_id, parent_id):
            return False
        if self.auto == "everywhere":
            return True
        here = {i for i in (channel_id, parent_id) if i is not None}
        return bool(here & set(self.auto_channels))

    def download_refusal(
        self, channel_id: int | None, parent_id: int | None, role_ids: Collection[int]
    ) -> str | None:
        """Why a download is refused here, in one line for the person, or None when allowed."""
        if not self.channel_allowed(channel_id, parent_id):
            return CHANNEL_REFUSAL
        if not self.role_allowed(role_ids):
            return ROLE_REFUSAL
        return None

    def platform_auto(self, platform: str) -> bool:
        """Does automatic mode handle links of this platform (a strategy name)?"""
        return platform in self.auto_platforms

    def sensitive_action(self, *, age_restricted: bool) -> SensitiveAction:
        """What to do with media marked sensitive, in a channel that is (or is not)
        age-restricted: there, posted (behind spoilers with ``nsfw_spoiler=on``); anywhere
        else, behind spoilers or not at all, as ``sensitive`` says."""
        if age_restricted:
            return "spoiler" if self.nsfw_spoiler == "on" else "post"
        return "block" if self.sensitive == "block" else "spoiler"

    # --- text and documents ---------------------------------------------------------------------

    def format_value(self, key: str) -> str:
        """``key``'s value as people read it: channel and role mentions, ``none`` when empty."""
        return values.display(key, self.value(key))

    def lines(self) -> list[str]:
        """``key: value`` for every key, in the documented order (plain text surfaces)."""
        return [f"{key}: {self.format_value(key)}" for key in values.KEYS]

    def export(self) -> dict[str, Any]:
        """Every key, in the documented order, as JSON (ids as strings)."""
        return {key: values.to_json(key, self.value(key)) for key in values.KEYS}


__all__ = ["CHANNEL_REFUSAL", "ROLE_REFUSAL", "GuildSettings"]
