"""Discord settings: how the bot connects (token, command prefix, test-double endpoints)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings


class DiscordSettings(BaseSettings):
    """The Discord part of :class:`~boss_bot.core.settings.BossSettings`."""

    discord_token: SecretStr | None = Field(
        default=None, description="Bot token. Required only to run the bot; never logged."
    )
    command_prefix: str = Field(default="$", min_length=1, description="Prefix for text commands.")
    discord_api_base_url: str | None = Field(
        default=None,
        description="Talk to this Discord-compatible REST server instead of discord.com "
        "(e.g. http://127.0.0.1:8999/api/v10). For test doubles.",
    )
    discord_gateway_url: str | None = Field(
        default=None,
        description="Gateway websocket address to use instead of Discord's (test doubles).",
    )

    interaction_token_seconds: float = Field(
        default=900.0,
        gt=0,
        description="How long Discord lets the bot answer an interaction (15 minutes). A job "
        "still running near the end is delivered by DM instead. Lower only for test doubles.",
    )
    interaction_handover_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long before an interaction's token expires the bot says, in its last "
        "follow-up, that the result will come by DM, and switches to DMs.",
    )

    @field_validator("command_prefix")
    @classmethod
    def _prefix_has_no_space(cls, value: str) -> str:
        if value.strip() != value or not value:
            raise ValueError("must not be empty or contain surrounding spaces")
        return value
