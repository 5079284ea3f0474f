"""How the store runs transactions on SQLite: whole, on its own threads, with BEGIN IMMEDIATE,
a fine-grained wait for another writer, checkpoints off the commit path; and claims that stay
exclusive however many claimers race (coroutines, stores, processes)."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from boss_bot.core.jobs import JobRequest
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store, open_store
from boss_bot.core.store import engine as store_engine
from boss_bot.core.store.engine import SqliteTransactions, transactions

#: These tests are about SQLite's own transaction machinery: generated for SQLite alone
#: (PostgreSQL runs transactions through the async engine; see tests/store/conftest.py).
sqlite_only = pytest.mark.sqlite_only


def spec(user: int, n: int = 0) -> JobRequest:
    return JobRequest(url=f"https://example.com/{user}/{n}", user_id=user)


def db_path(store: Store) -> Path:
    database = store.engine.url.database
    assert database
    return Path(database)


def lane_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("boss-bot-store-")]


@sqlite_only
async def test_a_write_holds_the_write_lock_from_its_first_statement(store: Store) -> None:
    db = transactions(store.engine)
    assert isinstance(db, SqliteTransactions)
    inside, release = threading.Event(), threading.Event()

    def work(conn: Connection) -> int:
        conn.execute(text("UPDATE jobs SET priority = priority WHERE 0"))
        inside.set()
        release.wait(10)
        return 1

    pending = asyncio.ensure_future(db.write(work))
    assert await asyncio.to_thread(inside.wait, 10)
    other = sqlite3.connect(db_path(store), timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        assert other.execute("SELECT count(*) FROM jobs").fetchone() == (0,)  # readers go on
    finally:
        release.set()
        other.close()
    assert await pending == 1


@sqlite_only
async def test_a_write_waits_for_another_writer_then_commits(store: Store) -> None:
    other = sqlite3.connect(db_path(store), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    pending = asyncio.ensure_future(store.queue.enqueue(spec(1)))
    await asyncio.sleep(0.2)
    assert not pending.done()
    other.execute("COMMIT")
    other.close()
    job = await asyncio.wait_for(pending, 5)
    waited = time.monotonic() - started
    assert 0.2 <= waited < 1.0  # taken within about a millisecond of the release
    assert (await store.queue.get(job.id)) == job


@sqlite_only
async def test_a_write_gives_up_after_the_busy_timeout(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_engine, "SQLITE_BUSY_TIMEOUT_MS", 300)
    other = sqlite3.connect(db_path(store), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(Exception, match="database is locked"):
            await store.queue.enqueue(spec(1))
        assert 0.3 <= time.monotonic() - started < 2
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert (await store.queue.enqueue(spec(1))).status == "queued"  # and works again after


@sqlite_only
async def test_a_failing_transaction_rolls_back_and_the_thread_carries_on(store: Store) -> None:
    db = transactions(store.engine)

    def work(conn: Connection) -> None:
        conn.execute(text("UPDATE jobs SET priority = 9"))
        raise LookupError("no")

    job = await store.queue.enqueue(spec(1))
    with pytest.raises(LookupError, match="no"):
        await db.write(work)
    again = await store.queue.get(job.id)
    assert again is not None and again.priority == 0
    raw = await db.write(lambda conn: conn.connection.driver_connection.in_transaction)  # type: ignore[union-attr]
    assert raw is False  # nothing ran through SQLAlchemy: no transaction left open


@sqlite_only
async def test_a_cancelled_call_that_has_not_started_does_nothing(store: Store) -> None:
    db = transactions(store.engine)
    inside, release = threading.Event(), threading.Event()

    def block(_conn: Connection) -> None:
        inside.set()
        release.wait(10)

    blocker = asyncio.ensure_future(db.write(block))
    assert await asyncio.to_thread(inside.wait, 10)
    queued = asyncio.ensure_future(store.queue.enqueue(spec(1)))
    await asyncio.sleep(0.05)
    queued.cancel()
    release.set()
    await blocker
    assert await store.queue.counts() == {}


@sqlite_only
async def test_closing_the_store_ends_its_threads(store_settings: BossSettings) -> None:
    before = set(lane_threads())
    store = await open_store(store_settings)
    await store.queue.enqueue(spec(1))
    assert await store.queue.counts() == {"queued": 1}
    mine = set(lane_threads()) - before
    assert {t.name for t in mine} == {"boss-bot-store-writer", "boss-bot-store-reader"}
    await store.close()
    assert not any(t.is_alive() for t in mine)
    assert not Path(f"{db_path(store)}-wal").exists()  # every connection closed
    again = await open_store(store_settings)
    try:
        assert await again.queue.counts() == {"queued": 1}
    finally:
        await again.close()


@sqlite_only
async def test_checkpoints_run_off_the_commit_path(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write thread never checkpoints inside a commit; every CHECKPOINT_EVERY commits the
    checkpoint thread copies the WAL back, and empties it once it is long."""
    monkeypatch.setattr(store_engine, "CHECKPOINT_EVERY", 5)
    monkeypatch.setattr(store_engine, "WAL_TRUNCATE_FRAMES", 1)
    db = transactions(store.engine)
    settings = await db.write(
        lambda conn: (
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar(),
            conn.exec_driver_sql("PRAGMA busy_timeout").scalar(),
            conn.exec_driver_sql("PRAGMA synchronous").scalar(),
            conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
        )
    )
    assert settings == (0, 0, 1, "wal")  # synchronous 1 = NORMAL, as for every connection
    wal = Path(f"{db_path(store)}-wal")
    for n in range(4):
        await store.queue.enqueue(spec(1, n))
    assert wal.stat().st_size > 0
    deadline = time.monotonic() + 10
    while wal.stat().st_size > 0:
        assert time.monotonic() < deadline, "the WAL was never checkpointed"
        await asyncio.sleep(0.02)


async def test_concurrent_claims_take_each_job_once(store: Store, store_settings) -> None:
    """Coroutines of one store and a second store (another engine: on SQLite another writer
    thread, on PostgreSQL another pool) race for ten jobs: each is claimed exactly once."""
    other = await open_store(store_settings, migrate=False)
    try:
        ids = {(await store.queue.enqueue(spec(user, 0))).id for user in range(10)}
        claims = await asyncio.gather(
            *[store.queue.claim(owner=f"w{i}", lease_seconds=60) for i in range(12)],
            *[other.queue.claim(owner=f"o{i}", lease_seconds=60) for i in range(12)],
        )
        taken = [job.id for job in claims if job is not None]
        assert sorted(taken) == sorted(ids)
        assert claims.count(None) == 14
        assert await store.queue.counts() == {"running": 10}
    finally:
        await other.close()


def _claim_all(data_dir: str, out: mp.Queue) -> None:  # type: ignore[type-arg]
    async def main() -> list[str]:
        settings = BossSettings(_env_file=None, data_dir=Path(data_dir))  # type: ignore[call-arg]
        store = await open_store(settings, migrate=False)
        taken: list[str] = []
        try:
            while (job := await store.queue.claim()) is not None:
                taken.append(job.id)
                await store.queue.complete(job.id)
        finally:
            await store.close()
        return taken

    out.put(asyncio.run(main()))


@sqlite_only
async def test_processes_claiming_from_one_sqlite_file_take_each_job_once(
    store: Store, store_settings: BossSettings
) -> None:
    ids = {(await store.queue.enqueue(spec(user % 7, user))).id for user in range(60)}
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [
        ctx.Process(target=_claim_all, args=(str(store_settings.data_dir), out)) for _ in range(3)
    ]
    for p in procs:
        p.start()
    taken = [await asyncio.to_thread(out.get, True, 60) for _ in procs]
    for p in procs:
        await asyncio.to_thread(p.join, 30)
    everything = [job_id for part in taken for job_id in part]
    assert sorted(everything) == sorted(ids)  # each once, none lost
    assert await store.queue.counts() == {"succeeded": 60}
