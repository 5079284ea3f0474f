"""Building settings at an entry point, and showing them: readable errors, where each value
came from, secrets masked.

The one settings module that reads ``os.environ`` itself (:func:`value_sources`, for
``bossctl config``); the class reads the environment through pydantic-settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from boss_bot.core.errors import ConfigurationError
from boss_bot.core.settings.model import BossSettings


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
