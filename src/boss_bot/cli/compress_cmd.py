"""`bossctl compress`: the compression module alone, with a progress bar or JSON."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from boss_bot.cli.context import state
from boss_bot.cli.output import emit_json
from boss_bot.cli.sizes import parse_size

DEFAULT_TARGET = "10MiB"


def compress(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The video, audio or image to shrink.")],
    target_size: Annotated[
        str, typer.Option("--target-size", help="Byte budget, e.g. 10MiB, 50MiB, 8MB.")
    ] = DEFAULT_TARGET,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Directory for the result.")
    ] = None,
    allow_split: Annotated[
        bool, typer.Option("--allow-split", help="Split too-long media into parts.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Fit FILE under a byte budget with the best quality the budget allows."""
    from boss_bot.core.compression import compress_to_fit
    from boss_bot.core.errors import CompressionError

    target = parse_size(target_size)
    if not file.is_file():
        raise CompressionError(f"{file} does not exist", user_message=f"no such file: {file}")
    settings = state(ctx).settings()
    dest = output or file.parent
    dest.mkdir(parents=True, exist_ok=True)

    async def run() -> object:
        if as_json:
            return await compress_to_fit(
                file, target, dest_dir=dest, settings=settings, allow_split=allow_split
            )
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

        with Progress(
            "[progress.description]{task.description}", BarColumn(), TaskProgressColumn(),
            TimeRemainingColumn(), console=Console(stderr=True),
        ) as progress:  # fmt: skip
            task = progress.add_task(f"compressing {file.name}", total=1.0)

            def on_progress(event: object) -> None:
                fraction = getattr(event, "fraction", None)
                if getattr(event, "status", None) == "compressing" and fraction is not None:
                    progress.update(task, completed=fraction)

            result = await compress_to_fit(
                file, target, dest_dir=dest, settings=settings,
                on_progress=on_progress, allow_split=allow_split,
            )  # fmt: skip
            progress.update(task, completed=1.0)
            return result

    result = asyncio.run(run())
    if as_json:
        payload = result.model_dump(mode="json")  # type: ignore[attr-defined]
        payload["ratio"] = result.ratio  # type: ignore[attr-defined]
        emit_json(payload)
        return
    from boss_bot.core.stats_text import human_bytes

    r = result
    for p in r.paths:  # type: ignore[attr-defined]
        typer.echo(f"saved {p} ({human_bytes(p.stat().st_size)})")
    typer.echo(
        f"{human_bytes(r.original_bytes)} → {human_bytes(r.final_bytes)} "  # type: ignore[attr-defined]
        f"({r.ratio:.2f}×, {r.method}, {r.passes} pass(es))"  # type: ignore[attr-defined]
    )
