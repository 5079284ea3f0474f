"""`bossctl download`: the download core, headless, with progress bars or JSON."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from boss_bot.cli.context import exit_code_for, state
from boss_bot.cli.output import emit_json
from boss_bot.core.errors import BossBotError

if TYPE_CHECKING:
    from rich.progress import Progress

    from boss_bot.core.models import DownloadOptions, MediaMetadata, ProgressEvent
    from boss_bot.core.settings import BossSettings

Quality = Literal["2160p", "1440p", "1080p", "720p", "480p", "360p", "best"]


def download(
    ctx: typer.Context,
    urls: Annotated[list[str], typer.Argument(help="One or more links.", show_default=False)],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Directory to save into.")
    ] = Path(),
    quality: Annotated[str, typer.Option(help="2160p … 360p, or best.")] = "best",
    audio_only: Annotated[bool, typer.Option("--audio-only", help="Audio only (m4a).")] = False,
    max_items: Annotated[
        int | None, typer.Option("--max-items", min=1, max=500, help="Playlist/gallery cap.")
    ] = None,
    use_cli: Annotated[bool, typer.Option("--cli", help="Force the CLI path.")] = False,
    use_api: Annotated[bool, typer.Option("--api", help="Force the API-direct path.")] = False,
    target_size: Annotated[
        str | None,
        typer.Option("--target-size", help="Compress each file over this, e.g. 10MiB."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the metadata list as JSON; no progress bars.")
    ] = False,
) -> None:
    """Download URL(s) into a directory and report what was saved."""
    if use_cli and use_api:
        raise typer.BadParameter("use either --cli or --api, not both")
    if quality not in Quality.__args__:  # type: ignore[attr-defined]
        raise typer.BadParameter(f"quality must be one of {', '.join(Quality.__args__)}")  # type: ignore[attr-defined]
    from boss_bot.cli.sizes import parse_size
    from boss_bot.core.models import DownloadOptions

    target = parse_size(target_size) if target_size else None
    settings = state(ctx).settings()
    options = DownloadOptions(
        quality=quality,  # type: ignore[arg-type]
        audio_only=audio_only,
        max_items=max_items,
        playlist=max_items is not None,
        force_method="cli" if use_cli else "api" if use_api else None,
        size_budget_bytes=target,
    )
    results, errors = asyncio.run(_download_all(settings, urls, output, options, as_json, target))
    if as_json:
        emit_json([m.model_dump(mode="json") for m in results], indent=2)
    else:
        for meta in results:
            for f in meta.files:
                via = f"{meta.tool} {meta.download_method}" if meta.tool else meta.download_method
                fallback = ", a fallback tool" if meta.fallback_tool else ""
                typer.echo(f"saved {f.path} ({_human(f.size_bytes)}, {via}{fallback})")
    if errors:
        if len(urls) == 1:
            raise errors[0][1]  # the app's handler prints it and picks the exit code
        for url, exc in errors:
            typer.echo(f"error: {url}: {exc.user_message}", err=True)
        raise typer.Exit(exit_code_for(errors[0][1]))


async def _download_all(
    settings: BossSettings,
    urls: list[str],
    output: Path,
    options: DownloadOptions,
    quiet: bool,
    target: int | None = None,
) -> tuple[list[MediaMetadata], list[tuple[str, BossBotError]]]:
    from boss_bot.core.manager import DownloadManager
    from boss_bot.core.workers.pool import WorkerPool

    progress = None if quiet else _progress()
    results: list[MediaMetadata] = []
    errors: list[tuple[str, BossBotError]] = []
    # Only as many warm workers as this run can use; they start on the first API download.
    pool = WorkerPool(max(1, min(len(urls), settings.max_concurrent_downloads)))
    manager = DownloadManager(settings, pool=pool)
    try:

        async def one(url: str) -> None:
            try:
                cb = _progress_callback(progress, url) if progress else None
                meta = await manager.download(url, dest=output, options=options, on_progress=cb)
                if target is not None:
                    meta = await _fit(meta, target, settings, output, progress)
                results.append(meta)
            except BossBotError as exc:
                errors.append((url, exc))

        if progress is not None:
            with progress:
                await asyncio.gather(*(one(u) for u in urls))
        else:
            await asyncio.gather(*(one(u) for u in urls))
    finally:
        await manager.close()
    return results, errors


async def _fit(
    meta: MediaMetadata,
    target: int,
    settings: BossSettings,
    output: Path,
    progress: Progress | None,
) -> MediaMetadata:
    """Compress every file over ``target``; the result replaces the original (or its parts)."""
    from boss_bot.core.compression import compress_to_fit
    from boss_bot.core.models import MediaFile

    files: list[MediaFile] = []
    for f in meta.files:
        if f.size_bytes <= target:
            files.append(f)
            continue
        on_progress = None
        if progress is not None:
            task = progress.add_task(f"compressing {f.filename}"[-60:], total=f.size_bytes)

            def on_progress(event: ProgressEvent, task: int = task) -> None:
                if event.status == "compressing":
                    progress.update(task, completed=event.downloaded_bytes or 0)

        result = await compress_to_fit(
            f.path, target, dest_dir=output, settings=settings, on_progress=on_progress
        )
        if result.path != f.path:
            f.path.unlink(missing_ok=True)
        files += [MediaFile.from_path(p.resolve()) for p in result.paths]
    return meta.model_copy(update={"files": files})


def _progress() -> Progress:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )


def _progress_callback(progress: Progress, url: str):  # type: ignore[no-untyped-def]
    """One bar per file: downloading events update it, finished completes it."""
    tasks: dict[str, int] = {}

    def on_event(event: ProgressEvent) -> None:
        name = event.filename or url
        if event.status not in ("downloading", "finished") or (
            event.filename is None and event.status == "finished" and tasks
        ):
            return  # unknown statuses are ignored; the final summary event has no file
        if name not in tasks:
            tasks[name] = progress.add_task(name[-60:], total=event.total_bytes)
        task = tasks[name]
        progress.update(
            task, completed=event.downloaded_bytes or 0, total=event.total_bytes or None
        )

    return on_event


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
