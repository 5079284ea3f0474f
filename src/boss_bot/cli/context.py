"""State shared by bossctl commands: global options and the settings built from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from boss_bot.core.errors import (
    BossBotError,
    ConfigurationError,
    InvalidURLError,
    SettingsError,
    UnsupportedURLError,
)

if TYPE_CHECKING:  # pydantic-settings costs ~0.1 s to import: only commands that need it pay
    from boss_bot.core.settings import BossSettings

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_URL = 3


def exit_code_for(exc: BossBotError) -> int:
    """The documented exit code for an error from the core (see docs/cli.md)."""
    if isinstance(exc, ConfigurationError | SettingsError):
        return EXIT_USAGE
    if isinstance(exc, InvalidURLError | UnsupportedURLError):
        return EXIT_URL
    return EXIT_FAILED


@dataclass
class CliState:
    """Global options. Settings are built on first use, once, at this entry point."""

    debug: bool = False
    env_file: Path | None = None
    _settings: BossSettings | None = field(default=None, repr=False)

    def settings(self, **overrides: Any) -> BossSettings:
        from boss_bot.core.settings import load_settings

        if self._settings is None or overrides:
            if self.env_file is not None:
                overrides.setdefault("_env_file", self.env_file)
            built = load_settings(**overrides)
            if overrides:
                return built
            self._settings = built
        return self._settings


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CliState) else CliState()
