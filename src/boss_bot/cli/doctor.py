"""`bossctl doctor`: check what boss-bot needs, each with ✓/✗ and a hint on how to fix it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from boss_bot.cli.context import state

if TYPE_CHECKING:
    from boss_bot.core.settings import BossSettings
    from boss_bot.core.store.tool_stats import ToolHealth

#: yt-dlp older than this many days is the usual reason YouTube downloads break.
YTDLP_STALE_DAYS = 60


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    hint: str = ""
    required: bool = True


def _which(exe: str) -> str | None:
    return exe if Path(exe).is_file() else shutil.which(exe)


def _tool(name: str, exe: str) -> Check:
    from boss_bot.cli.info import _tool_version

    path = _which(exe)
    if path is None:
        return Check(name, False, f"{exe} not found",
                     f"install it (apt-get install ffmpeg) or set {name.upper()}_PATH")  # fmt: skip
    return Check(name, True, f"{path} ({_tool_version(path)})")


def _library(dist: str, module: str) -> Check:
    import importlib
    from importlib.metadata import version

    try:
        importlib.import_module(module)
        ver = version(dist)
    except Exception as exc:  # an import error of any kind is what we report
        return Check(dist, False, f"not importable: {exc}", "run `make setup`")
    detail, hint, ok = ver, "", True
    if dist == "yt-dlp":
        import datetime as dt

        try:
            released = dt.date(*(int(p) for p in ver.split(".")[:3]))
            age = (dt.date.today() - released).days
            detail = f"{ver} ({age} days old)"
            if age > YTDLP_STALE_DAYS:
                hint = "old yt-dlp breaks YouTube: update the lock (uv lock -P yt-dlp)"
        except ValueError:
            pass
    return Check(dist, ok, detail, hint)


def _directory(label: str, path: Path) -> Check:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".boss-doctor"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        return Check(label, False, f"{path}: {exc.strerror}", f"make {path} writable")
    free = shutil.disk_usage(path).free / 2**30
    return Check(label, True, f"{path.resolve()} writable, {free:.1f} GiB free",
                 "" if free > 1 else "less than 1 GiB free")  # fmt: skip


def _database(settings: BossSettings) -> Check:
    """Reachable, and migrated to the newest revision."""
    import asyncio

    from boss_bot.core.store import build_store
    from boss_bot.core.store.engine import database_url
    from boss_bot.core.store.migrate import current_revision, head_revision

    where = (
        "SQLite " + str(settings.data_dir / "boss-bot.db")
        if not settings.database_url
        else (
            database_url(settings).split("@")[-1]  # no credentials in the output
        )
    )

    async def probe() -> tuple[bool, str | None]:
        store = build_store(settings)
        try:
            return await store.ping(), await current_revision(store.engine)
        finally:
            await store.close()

    try:
        ok, revision = asyncio.run(probe())
    except Exception as exc:  # any driver error is the answer we report
        return Check("database", False, f"{where}: {type(exc).__name__}", "check DATABASE_URL")
    if not ok:
        return Check("database", False, f"{where}: not reachable", "check DATABASE_URL")
    head = head_revision()
    if revision != head:
        return Check("database", False, f"{where}: at {revision or 'empty'}, newest is {head}",
                     "run `bossctl db upgrade` (the bot also migrates on start)")  # fmt: skip
    return Check("database", True, f"{where}: migrated ({revision})")


def primary_tools(settings: BossSettings) -> dict[str, tuple[str, ...]]:
    """Each platform's first tool (``auto``: either tool may be a URL's first)."""
    from boss_bot.core.settings import PLATFORMS_WITH_FLAGS
    from boss_bot.core.tools.fallback import AUTO, TOOLS

    primaries = {}
    for platform in PLATFORMS_WITH_FLAGS:
        first = settings.tool_order(platform)[0]
        primaries[platform] = TOOLS if first == AUTO else (first,)
    return primaries


def _tool_health(settings: BossSettings) -> list[Check]:
    """A warning per platform whose primary tool failed more than half of its last 20 jobs.

    Failed: the tool could not read the link (the chain moved on), not the site's "no". A
    warning, not a failure: the next tool may be serving, and the fix is a tool update or
    ``<PLATFORM>_TOOLS``.
    """
    import asyncio

    from boss_bot.core.store import build_store
    from boss_bot.core.store.tool_stats import HEALTH_WINDOW

    async def read() -> list[ToolHealth]:
        store = build_store(settings)
        try:
            return await store.metrics.tool_health(primary_tools(settings))
        finally:
            await store.close()

    try:
        health = asyncio.run(read())
    except Exception as exc:  # the database check above reports why
        return [Check("tools", False, f"no job metrics to read ({type(exc).__name__})",
                      required=False)]  # fmt: skip
    checks = []
    for h in health:
        if h.failing:
            fix = f"{h.platform.upper()}_TOOLS"
            checks.append(Check("tools", False, h.line(),
                                f"update {h.tool}, or put another tool first in {fix}",
                                required=False))  # fmt: skip
    if not checks:
        checks.append(Check("tools", True, "no platform's first tool failed more than half of "
                                           f"its last {HEALTH_WINDOW} jobs"))  # fmt: skip
    return checks


def run_checks(settings: BossSettings) -> list[Check]:
    from boss_bot.core.settings import masked

    checks = [
        _tool("ffmpeg", settings.ffmpeg_path),
        _tool("ffprobe", settings.ffprobe_path),
        _library("yt-dlp", "yt_dlp"),
        _library("gallery-dl", "gallery_dl"),
        _directory("DOWNLOAD_DIR", settings.download_dir),
        _directory("DATA_DIR", settings.data_dir),
        _database(settings),
    ]
    if checks[-1].ok:
        checks += _tool_health(settings)
    token = settings.discord_token
    hint = "" if token else "set DISCORD_TOKEN in .env (needed by `bossctl run`)"
    checks.append(Check("DISCORD_TOKEN", token is not None, masked(token), hint))
    for name in ("gallery_dl_cookies_file", "ytdlp_cookies_file", "gallery_dl_config_file"):
        value: Path | None = getattr(settings, name)
        if value is not None:
            exists = value.expanduser().is_file()
            checks.append(Check(name.upper(), exists, str(value),
                                "" if exists else "the file does not exist"))  # fmt: skip
    return checks


def doctor(ctx: typer.Context) -> None:
    """Check ffmpeg, the download tools, directories, token, cookie files, failing tools."""
    checks = run_checks(state(ctx).settings())
    for c in checks:
        mark = "✓" if c.ok else "✗" if c.required else "!"  # "!": a warning, not a failure
        typer.echo(f"{mark} {c.name}: {c.detail}" + (f"  → {c.hint}" if c.hint else ""))
    failed = [c.name for c in checks if c.required and not c.ok]
    if failed:
        typer.echo(f"error: {len(failed)} check(s) failed: {', '.join(failed)}", err=True)
        raise typer.Exit(1)
