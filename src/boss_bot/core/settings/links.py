"""Links for what cannot fit: signed, expiring download links served by boss-bot's HTTP server.

Off unless ``PUBLIC_BASE_URL`` is set (the address people reach this process's HTTP server
at, behind ``HTTP_ENABLED``). In distributed mode each worker sets its own, since a link points
at the process that kept the file.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings


class LinkSettings(BaseSettings):
    """The links part of :class:`~boss_bot.core.settings.BossSettings`."""

    public_base_url: str | None = Field(
        default=None,
        description="The public address of this process's HTTP server (e.g. "
        "https://media.example.org). Set, a file that cannot fit is posted as a signed link "
        "(/f/<token>/<name>) instead of failing; unset, nothing changes. Needs HTTP_ENABLED "
        "and LINK_SECRET.",
    )
    link_secret: SecretStr | None = Field(
        default=None,
        description="The key links are signed with (HMAC-SHA256; at least 32 characters; the "
        "same on every process that serves links). Never logged.",
    )
    link_ttl_hours: float = Field(
        default=24.0, gt=0, le=24 * 90, description="How long a link works; its file is "
        "removed by the clean-up after that.",
    )  # fmt: skip
    link_requests_per_minute: int = Field(
        default=120, ge=1, description="Requests one client address may make to /f/ per minute."
    )

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _links_need_a_secret(self) -> LinkSettings:
        if self.public_base_url is None:
            return self
        secret = self.link_secret.get_secret_value() if self.link_secret else ""
        if len(secret) < 32:
            raise ValueError(
                "PUBLIC_BASE_URL needs LINK_SECRET (at least 32 characters) to sign links"
            )
        return self

    @property
    def links_enabled(self) -> bool:
        return self.public_base_url is not None
