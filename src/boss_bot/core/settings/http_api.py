"""HTTP settings: the built-in HTTP server (API, /metrics, health checks) and its tokens."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from boss_bot.core.settings.api_tokens import ApiClient, parse_api_tokens


class HttpSettings(BaseSettings):
    """The HTTP API part of :class:`~boss_bot.core.settings.BossSettings`."""

    http_enabled: bool = Field(
        default=False,
        description="Serve the HTTP API, /metrics and health checks inside the bot process.",
    )
    http_host: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="Address the HTTP server binds (0.0.0.0: every interface; put TLS in front).",
    )
    http_port: int = Field(default=8080, ge=0, le=65535, description="HTTP server port.")
    api_tokens: SecretStr | None = Field(
        default=None,
        description="Comma-separated Bearer tokens for /api/v1, each `name:token` (read and "
        "write) or `name:token:ro` (read-only); tokens are 16+ characters of [A-Za-z0-9._~+/=-]. "
        "Unset: every /api/v1 call is refused. Never logged.",
    )
    http_max_body_bytes: int = Field(
        default=65536, ge=256, description="Largest HTTP request body accepted (413 above)."
    )

    @field_validator("api_tokens")
    @classmethod
    def _api_tokens_parse(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse a malformed API_TOKENS at start-up rather than at the first request."""
        if value is not None:
            parse_api_tokens(value.get_secret_value())
        return value

    def api_clients(self) -> list[ApiClient]:
        """API_TOKENS parsed (empty when unset)."""
        return (
            [] if self.api_tokens is None else parse_api_tokens(self.api_tokens.get_secret_value())
        )
