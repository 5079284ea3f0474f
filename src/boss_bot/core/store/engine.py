"""The database engine: SQLite (WAL, busy timeout) by default, PostgreSQL with DATABASE_URL.

Besides the async engine (sessions, migrations, everything that is not hot), the queue runs its
transactions through :func:`transactions`: a transaction is a plain function of a SQLAlchemy
``Connection`` (Core statements, no ORM), run whole in one call. On PostgreSQL that is
``AsyncConnection.run_sync`` inside ``engine.begin()``. On an SQLite file it is one of two
threads of this process, each holding its own sqlite3 connection: one for writes, which starts
every transaction with ``BEGIN IMMEDIATE`` (and waits for another process's lock with a finer
busy handler than SQLite's), and one for reads; a third runs the WAL checkpoints that SQLite
would otherwise run inside a commit. A transaction then costs one hand-over to the thread and
back, instead of one per statement, commit and pool reset through aiosqlite (see
docs/persistence.md, Performance, for the figures). Durability settings are the same on every
connection: WAL, ``synchronous=NORMAL``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from boss_bot.core.settings import BossSettings

#: How long SQLite waits for a competing writer before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000

#: The write thread checkpoints the WAL (on another thread) after this many commits: about the
#: 1 000 pages of SQLite's automatic checkpoint (a state change writes 2 pages, an insert 5).
CHECKPOINT_EVERY = 250
#: A WAL this long (in pages) is emptied with a blocking checkpoint (64 MiB at 4 KiB pages).
WAL_TRUNCATE_FRAMES = 16_384

#: How long closing the store waits for each of its threads to finish (normally: at once).
CLOSE_WAIT = 2.0

#: The write thread's own busy handler (see :func:`_begin_immediate`): first and longest sleep.
BUSY_FIRST_SLEEP = 50e-6
BUSY_MAX_SLEEP = 1e-3

T = TypeVar("T")


def database_url(settings: BossSettings) -> str:
    """DATABASE_URL, or the embedded SQLite file in DATA_DIR."""
    if settings.database_url:
        return settings.database_url
    return f"sqlite+aiosqlite:///{(settings.data_dir / 'boss-bot.db').resolve()}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_pragmas(dbapi_conn: Any, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> str:
    """WAL, a busy timeout, synchronous=NORMAL, foreign keys; returns the journal mode."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    mode = cur.fetchone()
    cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, far fewer fsyncs
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
    return str(mode[0]).lower() if mode else ""


def make_engine(settings: BossSettings, **kwargs: Any) -> AsyncEngine:
    """An async engine for the store; SQLite gets WAL mode and a busy timeout per connection."""
    url = database_url(settings)
    if is_sqlite(url):
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            _sqlite_pragmas(dbapi_conn)

        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def sessions(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


# --- whole transactions in one call ------------------------------------------------------------

Work = Callable[[Connection], T]
R = TypeVar("R")


class Transactions(Protocol):
    """Runs ``work(conn)`` in one transaction, committed when it returns, rolled back when it
    raises (the exception is re-raised to the caller)."""

    async def read(self, work: Work[T]) -> T: ...
    async def write(self, work: Work[T]) -> T: ...

    async def read_then_write(self, read: Work[R], write: Callable[[Connection, R], T]) -> T:
        """``read`` in a read transaction, then ``write(conn, what_read_returned)`` in a write
        transaction: an optimistic update decided on a read that holds no write lock."""
        ...


class EngineTransactions:
    """Through the async engine (PostgreSQL, an in-memory SQLite): ``run_sync`` per transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def read(self, work: Work[T]) -> T:
        async with self.engine.connect() as conn:
            return await conn.run_sync(work)

    async def write(self, work: Work[T]) -> T:
        async with self.engine.begin() as conn:
            return await conn.run_sync(work)

    async def read_then_write(self, read: Work[R], write: Callable[[Connection, R], T]) -> T:
        found = await self.read(read)
        return await self.write(lambda conn: write(conn, found))

    def close(self) -> None:
        pass


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == sqlite3.SQLITE_BUSY
    return "database is locked" in str(exc)


def _begin_immediate(raw: sqlite3.Connection, timeout: float) -> None:
    """``BEGIN IMMEDIATE``, waiting up to ``timeout`` seconds for another writer's lock.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25… ms between attempts, so a writer
    that just missed the lock often waits 10–30 ms for a lock held for well under 1 ms. This one
    retries after 50 µs, doubling up to 1 ms. In WAL mode ``BEGIN IMMEDIATE`` is the only point
    where a write transaction waits for a lock: once it holds the write lock, its statements and
    its commit never do (readers never block the writer)."""
    give_up = time.monotonic() + timeout
    delay = BUSY_FIRST_SLEEP
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() >= give_up:
                raise
        time.sleep(delay)
        delay = min(delay * 2, BUSY_MAX_SLEEP)


def _settle(fut: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if fut.cancelled():
        return
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(result)


#: ``Connection.info`` key: the kind of BEGIN the next statement must issue first.
_BEGIN = "boss_bot_begin"


class _Lane:
    """One thread with one sqlite3 connection, running submitted transactions in order."""

    def __init__(
        self, name: str, url: URL, *, write: bool, every_commits: Callable[[], None] | None = None
    ) -> None:
        self.name = name
        self.write = write  # the writing lane; its connection has our busy handler
        self._every_commits = every_commits  # called after each CHECKPOINT_EVERY commits
        self._commits = 0
        self._url = url
        self._lock = threading.Lock()
        self._inbox: queue.SimpleQueue[Any] | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def _engine(self) -> Engine:
        # NullPool: the lane's thread holds its connection for its whole life and closes it.
        engine = create_engine(self._url, poolclass=NullPool)
        lane = self

        @event.listens_for(engine, "connect")
        def _setup(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # the lane issues BEGIN itself
            mode = _sqlite_pragmas(dbapi_conn)
            if lane.write and mode == "wal":
                # Only BEGIN IMMEDIATE can wait for a lock, with our finer handler.
                dbapi_conn.execute("PRAGMA busy_timeout=0")
                # Checkpoints run on their own thread (SqliteTransactions), not in a commit.
                dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")

        @event.listens_for(engine, "before_cursor_execute")
        def _begin_late(conn: Connection, cursor: Any, *_args: Any) -> None:
            # The transaction starts with its first statement, once SQLAlchemy has prepared
            # it: the write lock is not held while Python builds parameters.
            write = conn.info.pop(_BEGIN, None)
            if write:
                _begin_immediate(cursor.connection, SQLITE_BUSY_TIMEOUT_MS / 1000)
            elif write is not None:
                cursor.connection.execute("BEGIN")  # one snapshot for all its reads

        return engine

    def submit(self, steps: tuple[Any, ...], fut: asyncio.Future[Any] | None) -> None:
        """Run ``steps`` (see :meth:`_run`) and settle ``fut`` with the outcome (if any)."""
        inbox = self._inbox
        if inbox is None or self._pid != os.getpid():
            with self._lock:
                if self._inbox is None or self._pid != os.getpid():
                    self._inbox = queue.SimpleQueue()
                    self._pid = os.getpid()
                    self._thread = threading.Thread(
                        target=self._main, args=(self._inbox,), name=self.name, daemon=True
                    )
                    self._thread.start()
                inbox = self._inbox
        inbox.put((steps, fut, None if fut is None else fut.get_loop()))

    def stop(self, wait: float = 0.0) -> None:
        """Let the thread finish what was submitted, close its connection and end (waiting up
        to ``wait`` seconds for that)."""
        with self._lock:
            thread = self._thread
            if self._inbox is not None and self._pid == os.getpid():
                self._inbox.put(None)
            self._inbox, self._thread = None, None
        if thread is not None and wait > 0 and thread is not threading.current_thread():
            thread.join(wait)

    def _main(self, inbox: queue.SimpleQueue[Any]) -> None:
        engine = self._engine()
        conn: Connection | None = None
        try:
            while (item := inbox.get()) is not None:
                steps, fut, loop = item
                if fut is not None and fut.cancelled():  # the caller gave up: do nothing
                    continue
                result: Any = None
                error: BaseException | None = None
                try:
                    if conn is None:
                        conn = engine.connect()
                    result = self._run(conn, *steps)
                except BaseException as exc:  # handed to the caller, whatever it is
                    error = exc
                if fut is not None:
                    with contextlib.suppress(RuntimeError):  # the caller's loop is closed
                        loop.call_soon_threadsafe(_settle, fut, result, error)
                if steps[1] is not None and self._every_commits is not None:
                    self._commits += 1
                    if self._commits >= CHECKPOINT_EVERY:
                        self._commits = 0
                        self._every_commits()
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            engine.dispose()

    def _run(self, conn: Connection, read: Work[Any] | None, write: Any | None) -> Any:
        """``read`` alone, ``write`` alone, or ``write(conn, read(conn))`` in two transactions."""
        if write is None:
            return self._transaction(conn, read, write=False)
        if read is None:
            return self._transaction(conn, write, write=True)
        found = self._transaction(conn, read, write=False)
        return self._transaction(conn, lambda c: write(c, found), write=True)

    def _transaction(self, conn: Connection, work: Work[T], *, write: bool) -> T:
        """``work(conn)`` in ``BEGIN IMMEDIATE`` (``write``) or ``BEGIN`` … ``COMMIT``, begun
        by its first statement (``_begin_late``)."""
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        conn.info[_BEGIN] = write
        try:
            result = work(conn)
            conn.commit()  # SQLAlchemy's bookkeeping; sqlite3 sends the COMMIT
            if raw.in_transaction:  # nothing went through SQLAlchemy
                raw.commit()
        except BaseException:
            try:
                conn.rollback()
            finally:
                if raw.in_transaction:
                    raw.rollback()
            raise
        finally:
            conn.info.pop(_BEGIN, None)
        return result


class SqliteTransactions:
    """Transactions on an SQLite file, each run whole in a thread of this process: writes on
    one thread (so this process never competes with itself for SQLite's single write lock),
    reads on another (so they never wait behind a write that waits for another process)."""

    def __init__(self, url: URL) -> None:
        sync_url = url.set(drivername="sqlite")
        self._writer = _Lane(
            "boss-bot-store-writer", sync_url, write=True, every_commits=self._checkpoint_soon
        )
        self._reader = _Lane("boss-bot-store-reader", sync_url, write=False)
        self._checkpointer = _Lane("boss-bot-store-checkpoint", sync_url, write=False)

    def _checkpoint_soon(self) -> None:
        """Copy the WAL back into the database off the writer's path (what SQLite's automatic
        checkpoint would do inside some unlucky commit, fsyncs included)."""
        self._checkpointer.submit((self._checkpoint, None), None)

    @staticmethod
    def _checkpoint(conn: Connection) -> None:
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        with contextlib.suppress(sqlite3.Error):
            # PASSIVE: copies what no reader still needs, never waits for a lock or blocks one.
            [(_busy, frames, _copied)] = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            if frames >= WAL_TRUNCATE_FRAMES:
                # Under a sustained write load the WAL is never fully copied at a moment when
                # no one writes, so it never starts over and grows without bound. TRUNCATE
                # waits for the writers (like a writer), copies the rest, and empties it.
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    async def read(self, work: Work[T]) -> T:
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._reader.submit((work, None), fut)
        return await fut

    async def write(self, work: Work[T]) -> T:
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._writer.submit((None, work), fut)
        return await fut

    async def read_then_write(self, read: Work[R], write: Callable[[Connection, R], T]) -> T:
        """Both on the write thread: one hand-over for the pair, and the read still takes no
        write lock (its own deferred transaction, ended before ``BEGIN IMMEDIATE``)."""
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._writer.submit((read, write), fut)
        return await fut

    def close(self) -> None:
        """End the threads once they have run what was submitted; wait (briefly) for that, so
        their connections are closed when the engine's are (the last one to close removes the
        WAL)."""
        for lane in (self._writer, self._reader, self._checkpointer):
            lane.stop(wait=CLOSE_WAIT)


#: One runner per SQLite engine (it holds only the URL, so the engine can still be collected).
_by_engine: weakref.WeakKeyDictionary[Engine, SqliteTransactions] = weakref.WeakKeyDictionary()


def _is_sqlite_file(url: URL) -> bool:
    database = url.database or ""
    return (
        url.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and not database.startswith("file::memory:")
        and url.query.get("mode") != "memory"
    )


def transactions(engine: AsyncEngine) -> Transactions:
    """The transaction runner for ``engine``. On an SQLite file there is one per engine, shared
    by its users; its threads end when the engine is disposed (``Store.close``) and start again
    on next use."""
    if not _is_sqlite_file(engine.url):
        return EngineTransactions(engine)
    sync = engine.sync_engine
    found = _by_engine.get(sync)
    if found is None:
        found = _by_engine[sync] = SqliteTransactions(engine.url)
        event.listen(sync, "engine_disposed", lambda _engine: found.close())
    return found
