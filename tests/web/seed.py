"""Rows written straight into the store, for the pages that show the past: finished jobs at
chosen times with their metrics and files (history, stats), jobs held by workers (leases),
changed server settings. The live parts are driven by real downloads elsewhere."""

from __future__ import annotations

import random
import secrets
import time
from typing import Any

from boss_bot.core.guilds import GuildSettingsService
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store
from boss_bot.core.store.engine import sessions
from boss_bot.core.store.schema import FileRow, JobRow, MetricRow
from tests.support.urls import platform_url

DAY = 86_400.0
GUILD = 123456789012345678


async def add_job(
    store: Store,
    *,
    url: str = "https://example.com/a",
    platform: str = "generic",
    status: str = "succeeded",
    created_at: float | None = None,
    **fields: Any,
) -> str:
    """One jobs row as the queue would have left it (times default to "just now")."""
    created = time.time() if created_at is None else created_at
    final = status in ("succeeded", "failed", "cancelled")
    values: dict[str, Any] = {
        "id": secrets.token_hex(6), "url": url, "platform": platform, "user_id": 1000,
        "kind": "download", "options": {}, "status": status, "stage": status,
        "priority": 0, "attempts": 1, "resumed": False, "posted_batches": 0,
        "created_at": created, "started_at": None if status == "queued" else created + 2,
        "finished_at": created + 30 if final else None,
    }  # fmt: skip
    values.update(fields)
    async with sessions(store.engine).begin() as s:
        s.add(JobRow(**values))
    return str(values["id"])


async def add_metrics(store: Store, job_id: str, **fields: Any) -> None:
    values: dict[str, Any] = {
        "job_id": job_id, "platform": "generic", "outcome": "success", "method": "api",
        "download_seconds": 3.0, "bytes_downloaded": 1_000_000, "compressed_files": 0,
        "bytes_uploaded": 0, "created_at": time.time(),
    }  # fmt: skip
    values.update(fields)
    async with sessions(store.engine).begin() as s:
        s.add(MetricRow(**values))


async def add_file(store: Store, job_id: str, path: str, size: int, **fields: Any) -> None:
    async with sessions(store.engine).begin() as s:
        s.add(FileRow(job_id=job_id, path=path, size_bytes=size, **fields))


async def seed_week(store: Store, now: float | None = None, seed: int = 17) -> list[str]:
    """A week of finished jobs on five platforms (the same every time for one ``seed``): most
    succeed, some fail or are cancelled; API, CLI and fallback paths; some files compressed."""
    rng = random.Random(seed)
    at = time.time() if now is None else now
    made = []
    platforms = ("youtube", "twitter", "reddit", "instagram", "tiktok")
    for day in range(6, -1, -1):
        for n in range(rng.randint(3, 7)):
            platform = rng.choice(platforms)
            # Today's finished before the live page's last ten minutes: History and Stats only.
            created = at - day * DAY - rng.uniform(1200, 3600)
            outcome = rng.choices(["success", "download_failed", "cancelled"], [8, 2, 1])[0]
            status = {"success": "succeeded", "cancelled": "cancelled"}.get(outcome, "failed")
            job_id = await add_job(
                store, url=platform_url(platform, day * 100 + n), platform=platform,
                status=status, created_at=created, guild_id=GUILD if n % 2 else None,
                error_code=None if status != "failed" else outcome,
                error_message=None if status != "failed" else "The site refused the download.",
            )  # fmt: skip
            down = rng.randint(2, 60) * 1_000_000 if status == "succeeded" else 0
            compressed = status == "succeeded" and down > 25_000_000
            await add_metrics(
                store, job_id, platform=platform, outcome=outcome, created_at=created + 30,
                method=rng.choices(["api", "cli", "cli_fallback"], [7, 2, 1])[0],
                download_seconds=rng.uniform(1, 20), bytes_downloaded=down,
                bytes_uploaded=min(down, 25_000_000), compressed_files=int(compressed),
                compression_seconds=rng.uniform(5, 40) if compressed else None,
                compression_ratio=25_000_000 / down if compressed else None,
            )  # fmt: skip
            if compressed:
                await add_file(store, job_id, f"/archive/{job_id}.mp4", 25_000_000,
                               compressed_from_bytes=down)  # fmt: skip
            made.append(job_id)
    return made


async def change_a_server(store: Store, settings: BossSettings, guild_id: int = GUILD) -> None:
    """A server that turned automatic mode on and asked for 1080p (audited, as admins do)."""
    service = GuildSettingsService(store, settings)
    await service.set(guild_id, "auto", ["everywhere"], by=42)
    await service.set(guild_id, "quality", ["1080p"], by=42)
