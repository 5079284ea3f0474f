"""Dashboard settings: the operator's web pages served beside the HTTP API (docs/dashboard.md)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class DashboardSettings(BaseSettings):
    """The dashboard part of :class:`~boss_bot.core.settings.BossSettings`.

    Sessions are signed with a key derived from API_TOKENS (there is no extra secret to
    configure): changing or removing a token ends the sessions opened with it.
    """

    dashboard_enabled: bool = Field(
        default=True,
        description="Serve the operator's dashboard at / when HTTP_ENABLED (sign in with an "
        "API_TOKENS token; `:ro` tokens can look but not act).",
    )
    dashboard_session_hours: float = Field(
        default=12.0,
        gt=0,
        le=720,
        description="How long a dashboard sign-in lasts before the token is asked for again.",
    )
