"""Units of work on the one aiosqlite connection per process (``db/sqlite_open.py`` opens
it): on aiosqlite's thread in one hop, or at once on the event loop's thread."""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import TypeVar

import aiosqlite

from callauth.db.dbfile import DbFile
from callauth.db.group_commit import GroupCommit, Outcome, commit_batch, run_batch
from callauth.db.sqlite_open import BUSY_TIMEOUT_MS, connect

logger = logging.getLogger(__name__)

#: Units of work written between two checkpoints of the WAL into the database file. The
#: connection's automatic checkpoint is off: it runs inside whichever COMMIT crosses 1,000
#: pages, which may be a unit's on the event loop's thread, and it syncs the file (4–6 ms
#: here). This one runs on the database thread.
CHECKPOINT_EVERY = 128

T = TypeVar("T")
#: A unit of work written against the plain (synchronous) sqlite3 connection.
Work = Callable[[sqlite3.Connection], T]


def submit_to_worker(conn: aiosqlite.Connection, work: Work[T]) -> asyncio.Future[T]:
    """Queue ``work`` on aiosqlite's own thread; the future has its result.

    aiosqlite sends every ``execute``, ``fetchone`` and cursor ``close`` to its worker
    thread and back to the loop, each a hop of its own; a call's lookups and writes were
    ~18 hops. aiosqlite has no public API to run a function on that thread, so this is the
    ONE place that uses its private parts: the queue ``_tx`` its thread reads (future,
    function) pairs from, ``_conn`` and ``_running`` (all present in 0.20 through 0.22;
    setup.cfg pins the range, tests/test_connection.py checks them). ``work`` runs on the
    worker thread: it must not touch the event loop. Once queued it runs, whatever
    becomes of the future.
    """
    if not conn._running:
        raise ValueError("Connection closed")
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    conn._tx.put_nowait((future, functools.partial(work, conn._conn)))
    return future


def _in_transaction(work: Work[T], file: DbFile | None, db: sqlite3.Connection) -> T:
    # A batch of one: the same BEGIN, file check, COMMIT and ROLLBACK as a call's unit.
    ok, value = run_batch([work], file, db)[0]
    if not ok:
        raise value
    return value


def _run_now(
    work: Work[T], file: DbFile | None, db: sqlite3.Connection, lock_wait: LockWait
) -> Outcome | None:
    """``work`` as its own transaction, on the calling (event loop's) thread; None, having
    done nothing, when another process holds the write lock: the unit then waits for it on
    the database thread instead, and the loop never waits for a lock."""
    lock_wait.for_loop(db)
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            return None
        raise
    return commit_batch([work], file, db)[0]


class LockWait:
    """How long a statement on the connection waits for another process's lock: 0 on the
    event loop's thread (it must never wait), ``BUSY_TIMEOUT_MS`` on the database thread.

    Switched when the connection changes thread, not around each unit: a run of units on
    the loop runs two statements a unit fewer. The two threads never use the connection
    at once (``Transactions._run_here``), so the flag needs no lock.
    """

    def __init__(self) -> None:
        self.waits = True  # as opened (db/sqlite_open.py)

    def for_loop(self, db: sqlite3.Connection) -> None:
        if self.waits:
            db.execute("PRAGMA busy_timeout = 0")
            self.waits = False

    def for_thread(self, db: sqlite3.Connection) -> None:
        if not self.waits:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.waits = True


def _checkpoint(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


def _checkpointed(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        logger.warning("WAL checkpoint failed: %s", exc)


def _checked_read(work: Work[T], file: DbFile, db: sqlite3.Connection) -> T:
    file.check()  # a deleted file's rows are no longer the truth
    return work(db)


class Transactions:
    """Units of work on the one connection, each in one hop to aiosqlite's thread.

    The interface every backend gives (``db/postgres`` too): a unit of work is a plain
    function of a DB-API connection, run by one of

    - :meth:`run_write`: the unit as its own transaction; its result once committed;
    - :meth:`run_batched`: the same promise, but the unit may share its transaction with
      others queued at the same time, each in its own savepoint (group commit: the call
      path). Such a unit must not end the transaction itself and must not rely on being
      alone in it; a backend may simply run it as :meth:`run_write`;
    - :meth:`run_read`: SELECTs only, in order with the writes.

    aiosqlite's thread runs queued functions one at a time, in order, so a unit can never
    interleave with another: no lock is needed, and calls queue their units back to back
    on the database thread instead of one round trip at a time. A batched unit that finds
    that thread idle (nothing queued on it, nothing running) runs on the event loop's
    thread instead, on the same connection, with no hop at all. There is deliberately no
    multi-hop transaction: aiosqlite shares one transaction between all coroutines, so one
    spread over several awaits would need a lock every other unit waits for.
    """

    def __init__(self, conn: aiosqlite.Connection, file: DbFile | None = None) -> None:
        self.conn = conn
        #: The file opened; when set, every unit of work checks the path still names it.
        self.file = file
        self._batches = GroupCommit(self._submit_batch, self._run_here)
        # Functions handed to the database thread (counted here, on the loop) and finished
        # there (counted there): while they differ, that thread may be using the connection.
        self._queued = 0
        self._finished = 0
        self._finished_lock = threading.Lock()  # a reopen's old connection has a thread too
        self._since_checkpoint = 0
        self._closing = False
        self._lock_wait = LockWait()  # the connection's; a reopen's new one has its own

    async def reopen(self) -> None:
        """Use the file now at the path (never creating one) from the next unit on.

        Units already queued on the old connection end there (and fail its file check).
        """
        assert self.file is not None, "reopen needs the path of a file"
        path = self.file.path
        new = await connect(path, create=False)
        old, self.conn, self.file = self.conn, new, DbFile.at(path)
        self._lock_wait = LockWait()
        await old.close()

    async def close(self) -> None:
        """Close the connection once the units already queued have run."""
        await self._batches.flush()
        self._closing = True  # aiosqlite closes it on its thread: no unit beside that
        await self.conn.close()

    async def run_write(self, work: Work[T]) -> T:
        """``work`` as one transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on an error),
        in one hop to the worker thread. Once queued it completes even if the awaiting
        task is cancelled: the unit of work is never cut in half."""
        return await self._submit(functools.partial(_in_transaction, work, self.file), 1)

    async def run_batched(self, work: Work[T]) -> T:
        """``work`` in a transaction shared with the units queued while the database thread
        is busy (``db/group_commit.py``); its result (or its exception) only once that
        transaction has committed. One unit's failure rolls back only its own savepoint."""
        return await self._batches.run(work)

    def _submit_batch(self, works: list[Work[object]]) -> asyncio.Future[list[Outcome]]:
        # self.conn and self.file as they are now: a reopen sends later batches to the new file.
        return self._submit(functools.partial(run_batch, works, self.file), len(works))

    def _run_here(self, work: Work[object]) -> Outcome | None:
        if self._queued != self._finished or self._closing or not self.conn._running:
            return None  # the database thread may be using the connection
        outcome = _run_now(work, self.file, self.conn._conn, self._lock_wait)
        if outcome is not None:
            self._wrote(1)
        return outcome

    def _submit(self, work: Work[T], writes: int = 0) -> asyncio.Future[T]:
        """Queue ``work`` on the database thread (``writes``: the units it writes)."""
        counted = functools.partial(self._counted, work, self._lock_wait)
        future = submit_to_worker(self.conn, counted)
        self._queued += 1
        if writes:
            self._wrote(writes)
        return future

    def _counted(self, work: Work[T], lock_wait: LockWait, db: sqlite3.Connection) -> T:
        # On the database thread: the count goes up once ``work`` is done with ``db``, not
        # when its future is answered (a cancelled caller's future never is).
        try:
            lock_wait.for_thread(db)
            return work(db)
        finally:
            with self._finished_lock:
                self._finished += 1

    def _wrote(self, units: int) -> None:
        self._since_checkpoint += units
        if self._since_checkpoint >= CHECKPOINT_EVERY:
            self._since_checkpoint = 0
            self._submit(_checkpoint).add_done_callback(_checkpointed)

    async def run_read(self, work: Work[T]) -> T:
        """``work`` (SELECTs only) in one hop, in order with the transactions."""
        if self.file is not None:
            work = functools.partial(_checked_read, work, self.file)
        return await self._submit(work)
