"""`BossSettings`: every knob boss-bot has, read from the environment and `.env`.

Built once at an entry point (``bossctl``, the bot, a test) with :func:`load_settings` and passed
down. Nothing builds settings at import time and nothing below the entry points reads
``os.environ``. Field names are the environment variable names in lower case; the description of
each field is what `.env.sample` and docs/configuration.md say about it (a test keeps all three in
step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from boss_bot.core.errors import ConfigurationError

MIB = 1024 * 1024

#: The platforms that have their own strategy and feature flag (``<PLATFORM>_USE_API_CLIENT``).
PLATFORMS_WITH_FLAGS = ("twitter", "reddit", "instagram", "youtube", "generic")


class BossSettings(BaseSettings):
    """boss-bot configuration. See docs/configuration.md (generated from this class)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
        env_ignore_empty=True,  # `GALLERY_DL_COOKIES_FILE=` means unset, not Path("")
    )

    # --- Discord -------------------------------------------------------------------------
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

    # --- Bot and uploads -----------------------------------------------------------------
    upload_allow_split: bool = Field(
        default=True,
        description="Split a video too long to fit the upload limit at a watchable quality "
        "into parts (false: explain and suggest download-only).",
    )
    upload_cleanup_after_success: bool = Field(
        default=True,
        description="Delete a request's files once every one was posted (kept when an upload "
        "fails).",
    )
    upload_max_files_per_batch: int = Field(
        default=10,
        ge=1,
        le=10,
        description="Attachments per message (Discord allows at most 10).",
    )
    upload_batch_size_mb: int | None = Field(
        default=None,
        ge=1,
        description="Total MiB of attachments per message (unset: only the per-file limit).",
    )
    allowed_channel_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated channel ids where download commands work (empty: all).",
    )
    allowed_role_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated role ids allowed to use download commands (empty: all).",
    )

    # --- Storage -------------------------------------------------------------------------
    download_dir: Path = Field(
        default=Path("./downloads"),
        description="Archive root; each request also gets its own directory below it.",
    )
    data_dir: Path = Field(default=Path("./data"), description="Database and state files.")

    # --- Downloads -----------------------------------------------------------------------
    max_concurrent_downloads: int = Field(
        default=3, ge=1, le=64, description="Downloads running at once (also the warm workers)."
    )
    max_file_size_mb: int = Field(
        default=500,
        ge=1,
        description="Largest single download accepted, in MiB; enforced while streaming.",
    )
    download_timeout_seconds: float = Field(
        default=600, gt=0, description="Wall-clock limit for one download attempt."
    )
    download_max_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Attempts for retryable failures (network, 5xx, timeout).",
    )
    download_retry_base_delay_seconds: float = Field(
        default=1.0, ge=0, description="First backoff delay; doubles on each retry."
    )
    twitter_use_api_client: bool = Field(
        default=True, description="Twitter/X: gallery-dl in a warm worker (false: the CLI)."
    )
    reddit_use_api_client: bool = Field(
        default=True, description="Reddit: gallery-dl/yt-dlp in a warm worker (false: the CLI)."
    )
    instagram_use_api_client: bool = Field(
        default=True, description="Instagram: gallery-dl in a warm worker (false: the CLI)."
    )
    youtube_use_api_client: bool = Field(
        default=True, description="YouTube: yt-dlp in a warm worker (false: the CLI)."
    )
    generic_use_api_client: bool = Field(
        default=True, description="Any other site: the tools in a warm worker (false: the CLI)."
    )
    download_api_fallback_to_cli: bool = Field(
        default=True,
        description="When the API-direct path fails, try the CLI (recorded as cli_fallback).",
    )
    max_duration_seconds: int = Field(
        default=3600,
        ge=0,
        description="Refuse media longer than this when its metadata says so, before "
        "downloading (0: no limit).",
    )
    disk_budget_mb: int = Field(
        default=10240,
        ge=0,
        description="Most MiB all request directories may hold; new downloads wait for "
        "space, then are refused (0: no limit).",
    )
    private_network_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated host:port pairs exempt from the private-address block "
        "(an internal media host; tests).",
    )
    allow_private_network_urls: bool = Field(
        default=False,
        description="Allow URLs on private/loopback/link-local addresses. Tests only: "
        "turning this on in production exposes the bot's network to its users.",
    )

    # --- Tools ---------------------------------------------------------------------------
    gallery_dl_config_file: Path | None = Field(
        default=None, description="A gallery-dl JSON config file to load first (optional)."
    )
    gallery_dl_cookies_file: Path | None = Field(
        default=None, description="Netscape cookies.txt for gallery-dl (logins, NSFW, stories)."
    )
    gallery_dl_cookies_from_browser: str | None = Field(
        default=None, description="Browser to take gallery-dl cookies from, e.g. firefox."
    )
    gallery_dl_user_agent: str | None = Field(
        default=None, description="User-Agent for gallery-dl (its default when unset)."
    )
    ytdlp_cookies_file: Path | None = Field(
        default=None, description="Netscape cookies.txt for yt-dlp."
    )
    ffmpeg_path: str = Field(default="ffmpeg", description="ffmpeg executable (name or path).")
    ffprobe_path: str = Field(default="ffprobe", description="ffprobe executable (name or path).")

    # --- Compression ---------------------------------------------------------------------
    compression_ffmpeg_preset: Literal[
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"
    ] = Field(default="veryfast", description="libx264 preset for re-encodes.")
    compression_max_concurrent: int = Field(
        default=2, ge=1, le=32, description="Encodes running at once."
    )
    compression_ffmpeg_threads: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Threads per x264 encode (0: one per core). Set it when several workers "
        "share a machine, e.g. cores / workers, so they do not fight over the same cores.",
    )
    compression_min_video_bitrate_kbps: int = Field(
        default=125, ge=16, description="Below this video bitrate, step down resolution or split."
    )
    compression_min_audio_bitrate_kbps: int = Field(
        default=32, ge=8, description="Lowest audio bitrate used when squeezing."
    )
    compression_image_min_quality: int = Field(
        default=10, ge=1, le=95, description="Lowest JPEG/WebP quality before downscaling."
    )

    # --- Queue, history and quotas --------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store (unset: SQLite at DATA_DIR/boss-bot.db; "
        "postgresql+asyncpg://… for larger deployments). Secret if it holds a password.",
    )
    max_queue_size: int = Field(default=200, ge=1, description="Jobs queued at once, overall.")
    max_queued_per_user: int = Field(
        default=10, ge=1, description="Jobs one user may have queued or running at once."
    )
    dedup_window_hours: float = Field(
        default=24,
        ge=0,
        description="Same media in the same server within this window: link the earlier post.",
    )
    min_media_bytes: int = Field(
        default=128, ge=0, description="Files smaller than this are placeholders, not media."
    )
    placeholder_hashes: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated md5/sha256 hashes of known placeholder files to reject.",
    )
    placeholder_url_patterns: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated regexes of placeholder-image URLs refused before download.",
    )
    user_rate_limit: int = Field(
        default=10, ge=0, description="Downloads per user per window (0: no limit)."
    )
    user_rate_window_seconds: int = Field(
        default=600, ge=1, description="The window for USER_RATE_LIMIT."
    )
    guild_daily_quota_mb: int = Field(
        default=0, ge=0, description="MiB one server may download per day (0: no quota)."
    )

    # --- Scale-out ---------------------------------------------------------------------------
    queue_backend: Literal["local", "redis"] = Field(
        default="local",
        description="`local`: this process downloads, compresses and posts (embedded mode). "
        "`redis`: the bot only queues; `bossctl worker` processes (any machine) run the jobs "
        "through arq on REDIS_URL. Needs a PostgreSQL DATABASE_URL.",
    )
    redis_url: SecretStr | None = Field(
        default=None,
        description="Redis for QUEUE_BACKEND=redis, e.g. redis://127.0.0.1:6379/0. Secret if it "
        "holds a password.",
    )
    worker_concurrency: int = Field(
        default=2, ge=1, le=64, description="Jobs one `bossctl worker` runs at once."
    )
    worker_lease_seconds: float = Field(
        default=30.0,
        ge=1.0,
        le=3600.0,
        description="A running job's lease: its worker renews it every third of this; when a "
        "worker dies, another takes the job over once the lease has run out.",
    )
    worker_job_timeout_seconds: int = Field(
        default=3600, ge=10, description="A worker gives up on one job after this long."
    )

    # --- HTTP API and logs -----------------------------------------------------------------
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
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`json`: one JSON object per log line (with job_id, guild_id, platform, "
        "stage); `text`: human-readable lines.",
    )

    # --- Logging -------------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level."
    )

    @field_validator("command_prefix")
    @classmethod
    def _prefix_has_no_space(cls, value: str) -> str:
        if value.strip() != value or not value:
            raise ValueError("must not be empty or contain surrounding spaces")
        return value

    @field_validator(
        "allowed_channel_ids",
        "allowed_role_ids",
        "placeholder_hashes",
        "placeholder_url_patterns",
        "private_network_allowlist",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """``"1, 2,3"`` (how the environment spells a list) → ``["1", "2", "3"]``."""
        if isinstance(value, str):
            text = value.strip().removeprefix("[").removesuffix("]")
            return [part.strip() for part in text.split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("api_tokens")
    @classmethod
    def _api_tokens_parse(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse a malformed API_TOKENS at start-up rather than at the first request."""
        if value is not None:
            parse_api_tokens(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _distributed_needs_redis_and_postgres(self) -> BossSettings:
        """Distributed mode shares one store between machines: SQLite cannot be that."""
        if self.queue_backend == "redis":
            if self.redis_url is None:
                raise ValueError("QUEUE_BACKEND=redis needs REDIS_URL (redis://host:6379/0)")
            url = self.database_url or ""
            if not url.startswith(("postgresql", "postgres")):
                raise ValueError(
                    "QUEUE_BACKEND=redis needs a shared PostgreSQL store: set DATABASE_URL="
                    "postgresql+asyncpg://user:pass@host/db (SQLite is one machine's file)"
                )
        return self

    def api_clients(self) -> list[ApiClient]:
        """API_TOKENS parsed (empty when unset)."""
        return (
            [] if self.api_tokens is None else parse_api_tokens(self.api_tokens.get_secret_value())
        )

    @property
    def max_file_size_bytes(self) -> int:
        return self.max_file_size_mb * MIB

    def use_api_client(self, platform: str) -> bool:
        """The API-direct flag for a strategy (``generic`` for everything else)."""
        name = platform if platform in PLATFORMS_WITH_FLAGS else "generic"
        return bool(getattr(self, f"{name}_use_api_client"))

    @property
    def upload_batch_size_bytes(self) -> int | None:
        """UPLOAD_BATCH_SIZE_MB in bytes, or None when unset."""
        return None if self.upload_batch_size_mb is None else self.upload_batch_size_mb * MIB

    @property
    def disk_budget_bytes(self) -> int | None:
        return self.disk_budget_mb * MIB if self.disk_budget_mb else None

    def allowlisted_endpoints(self) -> set[tuple[str, int]]:
        """PRIVATE_NETWORK_ALLOWLIST as (host, port) pairs (malformed entries are skipped)."""
        pairs = set()
        for entry in self.private_network_allowlist:
            host, _, port = entry.strip().rpartition(":")
            if host and port.isdigit():
                pairs.add((host.strip("[]").lower(), int(port)))
        return pairs

    @property
    def requests_dir(self) -> Path:
        """Where per-request working directories live (inside DOWNLOAD_DIR)."""
        return self.download_dir / ".requests"


@dataclass(frozen=True)
class ApiClient:
    """One API_TOKENS entry: who (``name``, shown in logs and job records), the secret, scope."""

    name: str
    token: str = field(repr=False)
    read_only: bool = False


_API_TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~+/=-]{16,256}")
_API_NAME_CHARS = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def parse_api_tokens(text: str) -> list[ApiClient]:
    """``"ci:abc…,grafana:def…:ro"`` → clients. Names must be unique; the message never
    contains a token (it may end up in a log or on a terminal)."""
    clients: list[ApiClient] = []
    for i, entry in enumerate(p.strip() for p in text.split(",")):
        if not entry:
            continue
        parts = entry.split(":")
        read_only = False
        if len(parts) == 3 and parts[2] in ("ro", "rw"):
            read_only = parts[2] == "ro"
            parts = parts[:2]
        if len(parts) != 2:
            raise ValueError(f"entry {i + 1}: expected name:token or name:token:ro")
        name, token = parts
        if not _API_NAME_CHARS.fullmatch(name):
            raise ValueError(f"entry {i + 1}: the name must be 1-64 of [A-Za-z0-9_.-]")
        if not _API_TOKEN_CHARS.fullmatch(token):
            raise ValueError(
                f"entry {i + 1} ({name}): the token must be 16-256 of [A-Za-z0-9._~+/=-]"
            )
        if any(c.name == name for c in clients):
            raise ValueError(f"entry {i + 1}: the name {name!r} is used twice")
        clients.append(ApiClient(name=name, token=token, read_only=read_only))
    return clients


def load_settings(**overrides: Any) -> BossSettings:
    """Build settings from the environment and `.env`, plus explicit overrides.

    Raises :class:`ConfigurationError` naming the variable(s) at fault, so an entry point can
    print one readable line instead of pydantic's report.
    """
    try:
        return BossSettings(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(format_validation_error(exc)) from None


def format_validation_error(exc: ValidationError) -> str:
    """One line per bad variable: ``MAX_CONCURRENT_DOWNLOADS: Input should be ... (got 'x')``."""
    parts = []
    for err in exc.errors():
        if not err["loc"]:  # a rule across variables (a model validator) names them itself
            parts.append(str(err["msg"]).removeprefix("Value error, "))
            continue
        name = str(err["loc"][0]).upper()
        got = err.get("input")
        shown = "" if isinstance(got, dict) or got is None else f" (got {str(got)[:60]!r})"
        if "TOKEN" in name:
            shown = ""
        parts.append(f"{name}: {err['msg']}{shown}")
    return "invalid configuration: " + "; ".join(parts)


def value_sources(env_file: Path | None = Path(".env")) -> dict[str, str]:
    """Where each setting's value comes from: ``environment``, ``.env`` or ``default``.

    The environment wins over the file, as in :class:`BossSettings` itself. Read here, beside
    the class, so nothing else needs to look at ``os.environ``.
    """
    import os

    from dotenv import dotenv_values

    names = {name.upper() for name in BossSettings.model_fields}
    env = {k.upper() for k, v in os.environ.items() if v != ""}
    dotenv: set[str] = set()
    if env_file is not None and env_file.is_file():
        dotenv = {k.upper() for k, v in dotenv_values(env_file).items() if v not in (None, "")}
    return {
        name.lower(): "environment" if name in env else ".env" if name in dotenv else "default"
        for name in names
    }


SECRET_FIELDS = ("discord_token", "database_url", "api_tokens", "redis_url")


def masked(value: Any) -> str:
    """A secret shown safely: set or not, and at most its last 4 characters."""
    if value is None:
        return "(not set)"
    text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return "****" + text[-4:] if len(text) > 12 else "****"
