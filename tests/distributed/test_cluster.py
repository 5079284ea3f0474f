"""Scale-out scenarios against real Redis, PostgreSQL, workers and the Discord double."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import socket

import httpx
import psutil
import pytest
from sqlalchemy import select

from boss_bot.core.store.schema import JobRow
from tests.discord_double import StoredMessage
from tests.distributed.conftest import (
    Cluster,
    ClusterMedia,
    MakeCluster,
    WorkerProc,
    eventually_async,
)

FINAL_MARKS = ("✅", "❌", "🚫")


def uploads(cluster: Cluster) -> list[StoredMessage]:
    world = cluster.world
    return [m for m in world.double.bot_messages(world.tier2.default_channel_id) if m.attachments]


def posted_names(cluster: Cluster) -> collections.Counter[str]:
    return collections.Counter(a.filename for m in uploads(cluster) for a in m.attachments)


async def finals(cluster: Cluster, asked: list[int], timeout: float) -> list[StoredMessage]:
    """The status message of each asked message, once every one shows an outcome."""
    world = cluster.world

    def done() -> list[StoredMessage] | None:
        found = []
        for msg_id in asked:
            replies = [m for m in world.replies_to(world.tier2, msg_id) if "Job `" in m.content]
            if not replies:
                return None
            status = world.double.message(replies[0].id)
            if not any(line[:1] in FINAL_MARKS for line in status.content.split("\n")):
                return None
            found.append(status)
        return found

    try:
        return await world.double.wait_until(done, timeout)
    except TimeoutError:
        pending = []
        for msg_id in asked:
            status = status_reply(cluster, msg_id)
            if status is None or not any(
                line[:1] in FINAL_MARKS for line in status.content.split("\n")
            ):
                pending.append((msg_id, status.content if status else None,
                                [e.content for e in status.edits] if status else None))  # fmt: skip
        raise AssertionError(f"not all finished: {pending}\n{cluster.logs()}") from None


@pytest.mark.timeout(300)
async def test_two_workers_run_twenty_jobs_from_four_users_each_posted_once(
    make_cluster: MakeCluster, cluster_media: ClusterMedia
) -> None:
    async with make_cluster(workers=2) as cluster:
        urls = cluster_media.photos[:14] + cluster_media.clips[:6]
        users = itertools.cycle(cluster.users)
        asked = [
            await cluster.world.say(cluster.world.tier2, f"$download {url}", next(users))
            for url in urls
        ]
        statuses = await finals(cluster, asked, timeout=120)
        bad = [s.content for s in statuses if "✅" not in s.content]
        assert bad == [], f"{bad}\n{cluster.logs()}"
        names = posted_names(cluster)
        assert sum(names.values()) == 20 and set(names.values()) == {1}, names
        store = await cluster.open_store()
        try:
            async with store.queue._sessions() as s:
                owners = (await s.execute(select(JobRow.lease_owner, JobRow.status))).all()
        finally:
            await store.close()
        assert {status for _, status in owners} == {"succeeded"}
        # Both workers took part (each runs one job at a time).
        assert len({owner for owner, _ in owners}) == 2, owners


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_reply(cluster: Cluster, asked: int) -> StoredMessage | None:
    world = cluster.world
    found = [m for m in world.replies_to(world.tier2, asked) if "Job `" in m.content]
    return world.double.message(found[0].id) if found else None


async def job_row(cluster: Cluster, job_id: str) -> JobRow:
    store = await cluster.open_store()
    try:
        async with store.queue._sessions() as s:
            row = await s.get(JobRow, job_id)
            assert row is not None
            return row
    finally:
        await store.close()


def tool_descendants(worker: WorkerProc) -> list[psutil.Process]:
    found = []
    for p in worker.descendants():
        with contextlib.suppress(psutil.Error):
            cmd = " ".join(p.cmdline())
            if any(k in cmd for k in ("yt_dlp", "gallery_dl", "ffmpeg")):
                found.append(p)
    return found


@pytest.mark.timeout(300)
async def test_sigkilled_worker_job_is_finished_by_another_without_duplicate_posts(
    make_cluster: MakeCluster, cluster_media: ClusterMedia
) -> None:
    """Worker 1 posts part of a gallery (one image per message), stalls on a Discord outage and
    is SIGKILLed. Worker 2 takes the job over once the lease has run out and posts only the
    rest; a restart of worker 1 on its own disk removes the partial files it left."""
    async with make_cluster(workers=1, worker_env={"UPLOAD_MAX_FILES_PER_BATCH": "1"}) as cluster:
        world = cluster.world
        [first] = cluster.workers
        asked = await world.say(world.tier2, f"$download {cluster_media.gallery_url}")
        await world.double.wait_until(lambda: len(uploads(cluster)) >= 2, 60)
        outage = world.double.inject_fault("POST", "/channels/*/messages", status=500, count=1000)
        await asyncio.sleep(0.3)  # the next post is being retried now
        status = status_reply(cluster, asked)
        assert status is not None
        job_id = status.content.split("`")[1]
        children = first.descendants()
        assert children, "the worker has its warm download processes"
        await cluster.kill(first)
        outage.remaining = 0
        partial = list((first.download_dir / ".requests").glob(f"job-{job_id}"))
        assert partial, "the killed worker left its job directory behind"

        second = await cluster.start_worker()
        [final] = await finals(cluster, [asked], timeout=90)
        assert "✅" in final.content and "Resumed" in final.content, final.content
        names = posted_names(cluster)
        assert len(names) == len(cluster_media.gallery_names), names
        assert set(names.values()) == {1}, names  # nothing posted twice
        row = await job_row(cluster, job_id)
        assert row.status == "succeeded" and row.attempts == 2
        # No process of the killed worker lives on (its warm processes die with it).
        await eventually_async(lambda: _async_true(not [c for c in children if _alive(c)]), 10)
        assert tool_descendants(second) == []

        # Worker 1 restarted on its own disk: the crashed run's job directory goes.
        await cluster.start_worker(root=first.root)
        assert not (first.download_dir / ".requests" / f"job-{job_id}").exists()


async def _async_true(value: bool) -> bool:
    return value


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.mark.timeout(300)
async def test_cancel_reaches_the_remote_worker_and_kills_its_download(
    make_cluster: MakeCluster, cluster_media: ClusterMedia
) -> None:
    port = free_port()  # the worker serves health checks and metrics (HTTP_ENABLED)
    http_env = {"HTTP_ENABLED": "true", "HTTP_PORT": str(port)}
    async with make_cluster(workers=1, worker_env=http_env) as cluster:
        world = cluster.world
        [worker] = cluster.workers
        asked = await world.say(world.tier2, f"$download {cluster_media.slow_url}")
        status = await world.double.wait_until(lambda: status_reply(cluster, asked), 30)
        job_id = status.content.split("`")[1]
        # The worker is downloading (its dripped file is being written).
        job_dir = worker.download_dir / ".requests" / f"job-{job_id}"
        await eventually_async(lambda: _async_true(any(job_dir.rglob("*"))), 30, 0.05)
        button = world.double.message(status.id).components[0]["components"][0]
        await world.double.click_button(status.id, button["custom_id"], world.alice.id)
        [final] = await finals(cluster, [asked], timeout=30)
        assert "🚫" in final.content, final.content
        row = await job_row(cluster, job_id)
        assert row.status == "cancelled" and row.cancelled_by == world.alice.id
        await eventually_async(lambda: _async_true(not job_dir.exists()), 10)
        assert tool_descendants(worker) == []
        assert uploads(cluster) == []
        # The worker carries on: the next job is posted.
        nxt = await world.say(world.tier2, f"$download {cluster_media.photos[15]}")
        [done] = await finals(cluster, [nxt], timeout=60)
        assert "✅" in done.content, done.content
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert "gateway" not in ready.json().get("checks", {})  # workers have none
            metrics = (await http.get("/metrics")).text
        assert 'outcome="cancelled"' in metrics and 'outcome="success"' in metrics, metrics


@pytest.mark.timeout(300)
async def test_redis_restart_mid_run_loses_no_queued_job(
    make_cluster: MakeCluster, cluster_media: ClusterMedia
) -> None:
    """Redis without persistence restarts while one job runs and three wait: the tickets are
    gone, but the jobs are rows in PostgreSQL; the workers' reconciliation sends new tickets,
    and the bot's next enqueue reconnects by itself."""
    async with make_cluster(workers=1, appendonly=False) as cluster:
        world = cluster.world
        asked = [await world.say(world.tier2, f"$download {cluster_media.slow_url}")]
        for url in cluster_media.photos[:3]:
            asked.append(await world.say(world.tier2, f"$download {url}", cluster.users[1]))
        await world.double.wait_until(lambda: status_reply(cluster, asked[-1]), 30)
        await asyncio.to_thread(cluster.redis.restart)  # the tickets are gone with it
        asked.append(await world.say(world.tier2, f"$download {cluster_media.photos[3]}"))
        statuses = await finals(cluster, asked, timeout=120)
        assert all("✅" in s.content for s in statuses), [s.content for s in statuses]
        assert sum(posted_names(cluster).values()) == 5
        assert "missing ticket" in cluster.logs()  # reconciliation made new ones
