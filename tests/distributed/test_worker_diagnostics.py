"""``kill -USR1 <worker pid>`` prints every thread's and every asyncio task's stack to the
worker's log and the worker keeps running: what an operator (and ``bench/scale.py``'s
watchdog) uses on a stuck job."""

from __future__ import annotations

import re
import signal

import pytest

from tests.distributed.conftest import MakeCluster, eventually_async


@pytest.mark.timeout(120)
async def test_sigusr1_dumps_a_workers_stacks_and_it_keeps_running(
    make_cluster: MakeCluster,
) -> None:
    async with make_cluster(workers=1) as cluster:
        [worker] = cluster.workers
        before = worker.log.read_text(errors="replace")
        assert "most recent call first" not in before
        worker.proc.send_signal(signal.SIGUSR1)

        async def dumped() -> str | None:
            text = worker.log.read_text(errors="replace")
            return text if "most recent call first" in text and "task(s)" in text else None

        text = await eventually_async(dumped, 20)
        # faulthandler's format: one block per thread, each naming the file and line it is on.
        assert re.search(r"(Thread|Current thread) 0x[0-9a-f]+ \(most recent call first\)", text)
        # The loop's tasks too: a job stuck on an await shows only there.
        assert re.search(r"asyncio: \d+ task\(s\)", text), text[-2000:]
        assert "--- task " in text and "boss_bot" in text, text[-2000:]
        # Still alive and still reporting in: the dump did not stop it.
        assert worker.proc.returncode is None

        async def reports() -> bool:
            return any(f":{worker.proc.pid}:" in n for n in await cluster.tickets.health())

        assert await eventually_async(reports, 20)
