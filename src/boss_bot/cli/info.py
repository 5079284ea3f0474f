"""Read-only facts: `bossctl version`, `strategies`, `sites`, `check-url`."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

import typer

from boss_bot.cli.context import exit_code_for, state
from boss_bot.cli.output import emit_json


def _tool_version(exe: str) -> str:
    import subprocess

    try:
        out = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "not found"
    first = (out.stdout or out.stderr).splitlines()[:1]
    parts = first[0].split() if first else []
    return parts[2] if len(parts) > 2 and out.returncode == 0 else "not found"


def versions(ffmpeg: str = "ffmpeg") -> dict[str, str]:
    """boss-bot's version and those of the libraries and tools it drives."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {}
    for dist in ("boss-bot", "discord.py", "yt-dlp", "gallery-dl"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = "not installed"
    found["ffmpeg"] = _tool_version(ffmpeg)
    return found


def version_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the versions of boss-bot, discord.py, yt-dlp, gallery-dl and ffmpeg."""
    found = versions(state(ctx).settings().ffmpeg_path)
    if as_json:
        emit_json(found)
        return
    for name, ver in found.items():
        typer.echo(f"{name:12} {ver}")


def strategies_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show each platform strategy: host pattern, API flag, CLI fallback, tools in order."""
    from boss_bot.core.strategies import STRATEGIES

    settings = state(ctx).settings()
    rows = [
        {
            "platform": s.name,
            "name": s.display_name,
            "hosts": _domains(s.hosts.pattern),
            "api": settings.use_api_client(s.name),
            "fallback": settings.download_api_fallback_to_cli,
            "tool": s.tool,
            "tools": list(settings.tool_order(s.name)),
        }
        for s in STRATEGIES
    ]
    if as_json:
        emit_json(rows)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table("platform", "hosts (and subdomains)", "API-direct", "CLI fallback", "tools")
    for r in rows:
        table.add_row(
            r["name"], escape(r["hosts"]), "✓" if r["api"] else "✗", "✓" if r["fallback"] else "✗",
            " → ".join(r["tools"]),
        )  # fmt: skip
    Console().print(table)


def _domains(pattern: str) -> str:
    """The domain names in a host pattern, for people (``.+`` means any host)."""
    plain = pattern.replace("\\", "")  # re.escape'd names: "youtube\\-nocookie\\.com"
    names = re.findall(r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+", plain.split(")*", 1)[-1])
    return ", ".join(names) or "any http(s) host"


def sites_cmd(
    search: Annotated[str | None, typer.Argument(help="Only sites containing this.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the sites gallery-dl and yt-dlp can read (searchable)."""
    import gallery_dl.extractor
    import yt_dlp.extractor

    needle = (search or "").lower()
    gdl = sorted({cls.category for cls in gallery_dl.extractor.extractors()})
    ytd = sorted({ie.IE_NAME for ie in yt_dlp.extractor.gen_extractor_classes()})
    found = {
        "gallery-dl": [s for s in gdl if needle in s.lower()],
        "yt-dlp": [s for s in ytd if needle in s.lower()],
    }
    if as_json:
        emit_json(found)
        return
    for tool, names in found.items():
        typer.echo(f"{tool} ({len(names)}): {', '.join(names) if names else '-'}")


def check_url_cmd(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The link to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show which strategy would take URL and why, or why it is refused (exit 3).

    Routing is shown even when intake refuses the link (so an operator sees both answers); the
    refusal still sets the exit code.
    """
    from boss_bot.core.errors import BossBotError
    from boss_bot.core.manager import resolve_tool
    from boss_bot.core.strategies import strategy_for
    from boss_bot.core.urls import check_url, host_of, normalise_url

    settings = state(ctx).settings()
    refusal: BossBotError | None = None
    try:
        target = asyncio.run(check_url(url, allow_private=settings.allow_private_network_urls))
    except BossBotError as exc:
        refusal = exc
        target = normalise_url(url)  # may itself refuse: then there is nothing to route
    strategy = strategy_for(target)
    target = strategy.canonical_url(target)
    report = {
        "url": target,
        "host": host_of(target),
        "strategy": strategy.name,
        "why": (
            f"host matches {strategy.hosts.pattern}"
            if strategy.name != "generic"
            else "no platform matched; generic takes every http(s) link"
        ),
        "tool": resolve_tool(strategy, target),
        "path": "api" if settings.use_api_client(strategy.name) else "cli",
        "fallback_to_cli": settings.download_api_fallback_to_cli,
        "media_key": strategy.media_key(target),
        "accepted": refusal is None,
        "refused_because": refusal.user_message if refusal else None,
    }
    if as_json:
        emit_json(report)
    else:
        for key, value in report.items():
            typer.echo(f"{key:16} {value}")
    if refusal is not None:
        raise typer.Exit(exit_code_for(refusal))
