"""The warm worker pool: crash replacement, shutdown, and no orphans."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import psutil
import pytest

from boss_bot.core.errors import WorkerCrashedError
from boss_bot.core.workers.pool import WorkerPool


def _request(url: str, dest: str) -> dict[str, object]:
    return {"op": "download", "tool": "gallery-dl", "url": url, "dest": dest,
            "max_bytes": 10**9, "ytdlp_params": {}, "gallerydl_config": [
                [[], "base-directory", dest], [[], "directory", []]],
            "gallerydl_config_file": None}  # fmt: skip


async def test_workers_are_warm_and_separate_processes() -> None:
    async with WorkerPool(2) as pool:
        pids = pool.pids
        assert len(pids) == 2 and os.getpid() not in pids
        for pid in pids:
            proc = psutil.Process(pid)
            assert "boss_bot.core.workers.child" in " ".join(proc.cmdline())
            assert os.getpgid(pid) == pid, "each worker leads its own process group"
        assert pool.last_warm_seconds is not None and pool.last_warm_seconds > 0
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


async def test_a_killed_worker_is_reported_and_replaced(media_server, tmp_path) -> None:
    async with WorkerPool(1) as pool:
        [pid] = pool.pids
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        # The dead idle worker is discarded on acquire and a fresh one answers the job.
        reply = await asyncio.wait_for(
            pool.run(_request(media_server.url("photo.jpg"), str(tmp_path))), 60
        )
        assert reply["type"] == "done"
        assert pool.pids and pool.pids != [pid]


async def test_worker_that_cannot_start_raises() -> None:
    pool = WorkerPool(1, child_argv=[sys.executable, "-c", "import sys; sys.exit(7)"])
    try:
        await pool.start()
        with pytest.raises(WorkerCrashedError):
            await pool.run(_request("http://127.0.0.1:1/x.jpg", "/tmp"))
    finally:
        await pool.close()


async def test_unknown_progress_types_are_ignored(media_server, tmp_path) -> None:
    seen: list[dict[str, object]] = []
    async with WorkerPool(1) as pool:
        reply = await pool.run(
            _request(media_server.url("photo.jpg"), str(tmp_path)), on_event=seen.append
        )
    assert reply["type"] == "done"
    assert all(e["type"] == "progress" for e in seen)
    assert any(e["status"] == "finished" for e in seen)
