"""Logging set-up: JSON or text lines, the job each line belongs to, and no secrets.

:func:`configure_logging` is called once by an entry point (``bossctl run``) with the built
settings. It installs one handler on the root logger:

* ``LOG_FORMAT=json``: one JSON object per line (python-json-logger) with ``time``, ``level``,
  ``logger``, ``message`` and, inside a job, ``job_id``, ``guild_id``, ``platform`` and
  ``stage``: a log pipeline can follow one job across the bot, the pipeline and the manager
  without parsing prose.
* ``LOG_FORMAT=text``: ``time level logger: message [job=… guild=… platform=… stage=…]``.

**Job context.** The pipeline wraps each job in :func:`job_context` (and calls
:func:`set_stage` as the job moves on). The values live in :mod:`contextvars`, so they follow
the job's task and every task it starts, and never leak into another job running at the same
time; :class:`JobContextFilter` copies them onto each record.

**Secrets.** :class:`RedactingFilter` replaces every known secret value wherever it appears in a
record (the message, its arguments, the traceback, extra fields): the Discord token, the API
tokens, the database password and the cookie values in the cookie files. It also masks
``Authorization: Bearer …`` / ``Bot …`` values, whatever they are. Redaction is by value, so it
works even when a library we do not control logs a URL or a header with a secret in it.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from boss_bot.core.settings import BossSettings

REDACTED = "[REDACTED]"
#: Shorter values are not redacted by value (they would blank out ordinary words).
MIN_SECRET_LENGTH = 6
#: Cookie values shorter than this are flags (``TRUE``, ``1``, ``en``), not secrets.
MIN_COOKIE_LENGTH = 8
JOB_FIELDS = ("job_id", "guild_id", "platform", "stage")

_job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("boss_job_id", default=None)
_guild_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "boss_guild_id", default=None
)
_platform: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "boss_platform", default=None
)
_stage: contextvars.ContextVar[str | None] = contextvars.ContextVar("boss_stage", default=None)
_VARS: dict[str, contextvars.ContextVar[Any]] = {
    "job_id": _job_id,
    "guild_id": _guild_id,
    "platform": _platform,
    "stage": _stage,
}
_AUTH_HEADER = re.compile(
    r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|bot)\s+)[^\s\"',;]+"
)
_BEARER = re.compile(r"(?i)\b((?:bearer|bot)\s+)[A-Za-z0-9._~+/=-]{16,}")
#: Marks the handler configure_logging installed, so calling it again replaces it.
_OURS = "_boss_bot_handler"
#: Libraries whose INFO lines describe their own workings, not events an operator acts on: only
#: their warnings and errors are shown, unless the level is DEBUG. (Alembic says "setup plugin …",
#: "Context impl …" on every start; boss_bot.core.store.migrate logs each migration applied.)
QUIET_LIBRARIES = ("alembic",)


# --- job context ------------------------------------------------------------------------------


@contextlib.contextmanager
def job_context(
    job_id: str,
    *,
    guild_id: int | None = None,
    platform: str | None = None,
    stage: str | None = None,
) -> Iterator[None]:
    """Every log line inside the block (and in tasks started in it) carries these fields."""
    tokens = [
        (_job_id, _job_id.set(job_id)),
        (_guild_id, _guild_id.set(guild_id)),
        (_platform, _platform.set(platform)),
        (_stage, _stage.set(stage)),
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            with contextlib.suppress(ValueError):  # reset from another context: leave it
                var.reset(token)


def set_stage(stage: str | None) -> None:
    """The current job moved on (downloading, compressing, uploading …)."""
    _stage.set(stage)


def set_platform(platform: str | None) -> None:
    """The job's platform became known (after routing)."""
    _platform.set(platform)


def current_job() -> dict[str, Any]:
    """The job fields in force here (empty outside a job)."""
    if _job_id.get() is None:
        return {}
    return {name: var.get() for name, var in _VARS.items()}


class JobContextFilter(logging.Filter):
    """Copies the job fields onto each record logged inside a job (outside: adds nothing)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current_job().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


# --- secrets -----------------------------------------------------------------------------------

_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
}


class RedactingFilter(logging.Filter):
    """Replaces known secret values (and Authorization header values) in every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._pattern: re.Pattern[str] | None = None
        self.set_secrets(secrets)

    def set_secrets(self, secrets: Iterable[str]) -> None:
        values = sorted(
            {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )
        self._pattern = re.compile("|".join(map(re.escape, values))) if values else None

    def redact(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(REDACTED, text)
        text = _AUTH_HEADER.sub(lambda m: m.group(1) + REDACTED, text)
        return _BEARER.sub(lambda m: m.group(1) + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: show it as is, still redacted
            message = f"{record.msg} {record.args}"
        cleaned = self.redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[0] is not None:
            # Format the traceback now and keep only the redacted text: the exception's own
            # message (a URL with a token in it, say) would otherwise be printed as is.
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = self.redact(text), None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


def secrets_from_settings(settings: BossSettings) -> list[str]:
    """Every secret value the settings know: tokens, the database password, cookie values."""
    found: list[str] = []
    if settings.discord_token is not None:
        found.append(settings.discord_token.get_secret_value())
    found += [client.token for client in settings.api_clients()]
    if settings.database_url:
        from urllib.parse import unquote, urlsplit

        with contextlib.suppress(ValueError):
            password = urlsplit(settings.database_url).password
            if password:
                found += [password, unquote(password)]
    for path in (settings.gallery_dl_cookies_file, settings.ytdlp_cookies_file):
        if path is not None:
            found += cookie_values(path)
    return found


def cookie_values(path: Path) -> list[str]:
    """The cookie values in a Netscape cookies.txt (7 tab-separated fields per cookie line).

    Read once at start-up (a small local file); an unreadable file yields nothing here, the
    download tools report it.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    values = []
    for line in text.splitlines():
        if line.startswith("#") and not line.startswith("#HttpOnly_"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) >= 7 and len(fields[6].strip()) >= MIN_COOKIE_LENGTH:
            values.append(fields[6].strip())
    return values


# --- formatters --------------------------------------------------------------------------------


class TextFormatter(logging.Formatter):
    """``time level logger: message [job=… guild=… platform=… stage=…]``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if getattr(record, "job_id", None) is None:
            return text
        bits = [
            f"{short}={getattr(record, name)}"
            for name, short in (
                ("job_id", "job"), ("guild_id", "guild"), ("platform", "platform"),
                ("stage", "stage"),
            )
            if getattr(record, name, None) is not None
        ]  # fmt: skip
        head, sep, rest = text.partition("\n")
        return f"{head} [{' '.join(bits)}]{sep}{rest}"


def json_formatter() -> logging.Formatter:
    """python-json-logger, one object per line; extra fields (the job's) are kept."""
    from pythonjsonlogger.core import RESERVED_ATTRS
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        "{asctime}{levelname}{name}{message}",
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        reserved_attrs=[*RESERVED_ATTRS, "color_message", "taskName"],
        json_ensure_ascii=False,
    )


# --- set-up ------------------------------------------------------------------------------------


def configure_logging(
    settings: BossSettings,
    *,
    stream: IO[str] | None = None,
    level: int | str | None = None,
    extra_secrets: Iterable[str] = (),
) -> logging.Handler:
    """Install boss-bot's handler on the root logger (replacing a previous one and the plain
    ``basicConfig`` handler), at LOG_LEVEL unless ``level`` is given; :data:`QUIET_LIBRARIES`
    log from WARNING up below DEBUG. Returns the handler."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, _OURS, False) or type(old) is logging.StreamHandler:
            root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _OURS, True)
    handler.addFilter(JobContextFilter())
    handler.addFilter(RedactingFilter([*secrets_from_settings(settings), *extra_secrets]))
    handler.setFormatter(json_formatter() if settings.log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level if level is not None else settings.log_level)
    quiet = logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(quiet)
    return handler


__all__ = [
    "JOB_FIELDS",
    "QUIET_LIBRARIES",
    "REDACTED",
    "JobContextFilter",
    "RedactingFilter",
    "TextFormatter",
    "configure_logging",
    "cookie_values",
    "current_job",
    "job_context",
    "json_formatter",
    "secrets_from_settings",
    "set_platform",
    "set_stage",
]
