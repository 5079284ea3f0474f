"""`bossctl cleanup` and `bossctl dedup scan|clean`: keep the download directory tidy."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Annotated

import typer

from boss_bot.cli.context import state
from boss_bot.cli.output import emit_json
from boss_bot.cli.sizes import parse_age

dedup_app = typer.Typer(help="Find duplicate and placeholder files.", no_args_is_help=True)

#: Leftovers that are never results: tool partials, staging and compression temp dirs.
_TEMP_FILE_SUFFIXES = (".part", ".ytdl", ".tmp", ".temp")
_TEMP_DIR_PREFIXES = (".boss-staging", ".compress-")


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _stale_candidates(download_dir: Path, requests_dir: Path, older_than: float) -> list[Path]:
    cutoff = time.time() - older_than
    found: list[Path] = []
    if requests_dir.is_dir():
        found += [p for p in requests_dir.iterdir() if p.stat().st_mtime < cutoff]
    if download_dir.is_dir():
        for p in download_dir.rglob("*"):
            if requests_dir in p.parents or p == requests_dir or p.stat().st_mtime >= cutoff:
                continue
            if (p.is_dir() and p.name.startswith(_TEMP_DIR_PREFIXES)) or (
                p.is_file() and (p.name.endswith(_TEMP_FILE_SUFFIXES) or ".part-Frag" in p.name)
            ):
                found.append(p)
    # A directory already listed covers what is inside it.
    return [p for p in found if not any(q in p.parents for q in found)]


def cleanup(
    ctx: typer.Context,
    older_than: Annotated[
        str, typer.Option("--older-than", help="Only what is older than this (12h, 7d, 2w).")
    ] = "7d",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Remove stale request directories and orphaned temporary files; print what was freed.

    Directories of jobs that are still queued or running are never touched.
    """
    settings = state(ctx).settings()
    age = parse_age(older_than)
    active = _active_work_dirs(ctx)
    from boss_bot.core.links import LINKS_DIR, expired_link_dirs

    links_root = settings.download_dir / LINKS_DIR
    candidates = [
        p for p in _stale_candidates(settings.download_dir, settings.requests_dir, age)
        if str(p.resolve()) not in active and links_root not in (p, *p.parents)
    ]  # fmt: skip
    # Files kept for links go when their links expire, whatever --older-than says.
    expired = expired_link_dirs(links_root)
    candidates += expired
    freed = 0
    removed = []
    for p in candidates:
        size = _size(p)
        if not dry_run:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        freed += size
        removed.append({"path": str(p), "bytes": size, "expired_link": p in expired})
    if as_json:
        emit_json({"dry_run": dry_run, "removed": removed, "freed_bytes": freed})
        return
    from boss_bot.core.stats_text import human_bytes

    verb = "would remove" if dry_run else "removed"
    for r in removed:
        what = "expired link " if r["expired_link"] else ""
        typer.echo(f"{verb} {what}{r['path']} ({human_bytes(r['bytes'])})")
    typer.echo(f"{verb} {len(removed)} item(s), {human_bytes(freed)}")


def _active_work_dirs(ctx: typer.Context) -> set[str]:
    """Request directories of queued/running jobs (empty when there is no database yet)."""
    settings = state(ctx).settings()
    db = settings.data_dir / "boss-bot.db"
    if settings.database_url is None and not db.exists():
        return set()
    from boss_bot.cli.store_cmds import with_store

    jobs = with_store(ctx, lambda s: s.queue.list(status="active", limit=10_000))
    return {str(Path(j.work_dir).resolve()) for j in jobs if j.work_dir}


def _scan(
    ctx: typer.Context, directory: Path | None
) -> tuple[list[list[Path]], list[tuple[Path, str]]]:
    from boss_bot.core.dedup import digest, duplicate_groups, placeholder_reason

    settings = state(ctx).settings()
    root = directory or settings.download_dir
    if not root.is_dir():
        raise typer.BadParameter(f"{root} is not a directory")
    files = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()
             and not p.name.endswith(".info.json")]  # fmt: skip
    placeholders = []
    for p in files:
        reason = placeholder_reason(
            p, digest(p), min_media_bytes=settings.min_media_bytes,
            known_hashes=settings.placeholder_hashes,
        )  # fmt: skip
        if reason:
            placeholders.append((p, reason))
    flagged = {p for p, _ in placeholders}
    groups = duplicate_groups(p for p in files if p not in flagged)
    return groups, placeholders


DirArg = Annotated[Path | None, typer.Argument(help="Directory to scan (default DOWNLOAD_DIR).")]


@dedup_app.command("scan")
def dedup_scan(
    ctx: typer.Context,
    directory: DirArg = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List duplicate groups (by sha256) and placeholder files; change nothing."""
    groups, placeholders = _scan(ctx, directory)
    if as_json:
        emit_json(
            {
                "duplicates": [[str(p) for p in g] for g in groups],
                "placeholders": [{"path": str(p), "reason": r} for p, r in placeholders],
            }
        )
        return
    for g in groups:
        typer.echo(f"keep {g[0]}")
        for p in g[1:]:
            typer.echo(f"  duplicate {p}")
    for p, reason in placeholders:
        typer.echo(f"placeholder {p}: {reason}")
    extra = sum(len(g) - 1 for g in groups)
    typer.echo(
        f"{extra} duplicate(s) in {len(groups)} group(s), {len(placeholders)} placeholder(s)"
    )


@dedup_app.command("clean")
def dedup_clean(
    ctx: typer.Context,
    directory: DirArg = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Delete duplicates (keeping the oldest copy) and placeholders; asks first unless --yes."""
    groups, placeholders = _scan(ctx, directory)
    doomed = [p for g in groups for p in g[1:]] + [p for p, _ in placeholders]
    if not doomed:
        typer.echo("nothing to clean")
        return
    from boss_bot.core.stats_text import human_bytes

    total = sum(p.stat().st_size for p in doomed)
    if not yes and not typer.confirm(f"delete {len(doomed)} file(s), {human_bytes(total)}?"):
        raise typer.Abort()
    for p in doomed:
        p.unlink(missing_ok=True)
        sidecar = p.with_name(p.stem + ".info.json")
        sidecar.unlink(missing_ok=True)
    typer.echo(f"deleted {len(doomed)} file(s), {human_bytes(total)}")
