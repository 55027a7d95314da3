"""PostgreSQL units of work: the same synchronous units as SQLite's, on worker threads.

Each worker thread owns one asyncpg connection on an event loop of its own and runs the
units queued for it one at a time, in order (db/pg_cursor.py gives a unit the sqlite3
calls). A write unit takes one transaction-level advisory lock first: writers on the
whole database, across every instance, go one at a time, as SQLite's ``BEGIN IMMEDIATE``
makes them, so a unit's reads and the writes they decide are never split by another
writer (the number pool, the throttles, the live-login cap) and no unit needs a retry
loop. A read unit runs in a read-only snapshot (``REPEATABLE READ``), as a SQLite read.
A connection that fails is dropped and opened anew (at once when it is found dead at
BEGIN, so a restarted server costs no unit); a unit that meets a database it cannot
reach fails with :class:`StoreUnavailable` (``unreachable``), and a unit cut short after
BEGIN is never run again (its caller answers ``error``). A unit the server itself stops
(the write lock or a statement past its timeout) fails as ``busy`` and is rolled back on
a connection that stays open: a long writer elsewhere is not a lost server.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import asyncpg

from callauth.db.connection import Transactions, Work
from callauth.db.dbfile import StoreUnavailable
from callauth.db.pg_cursor import PgConnection

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: The advisory lock every write unit holds until COMMIT ("callauth" in ASCII, as a key).
WRITE_LOCK = 0x63616C6C61757468
_BEGIN_WRITE = f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
_BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
#: Failures that say the server (or the way to it) is gone, not that a query is wrong.
LOST = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
         asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError,
         asyncpg.CrashShutdownError, asyncio.TimeoutError)  # fmt: skip
#: The server answered "not now": the write lock or one statement waited past its
#: timeout. The unit fails (``busy``, as SQLite's busy timeout), the connection stays.
BUSY = (asyncpg.LockNotAvailableError, asyncpg.QueryCanceledError)
CONNECT_SECONDS = 5.0
#: Set on every connection (a ``?name=value`` in the URL wins). lock_timeout and
#: statement_timeout: a unit waits at most 10 s for the write lock (a long ``holders
#: import`` on another instance) or on one statement, and the server says so while the
#: connection lives on. idle_in_transaction_session_timeout and the TCP keepalives: a
#: client that vanishes mid-unit (killed, its host gone, a cable pulled) loses its
#: session, and with it the write lock, after 30 s idle in a transaction or about
#: 25 s (10 + 3 × 5) of a silent peer, not after the kernel's two hours.
SERVER_SETTINGS = {
    "lock_timeout": "10s", "statement_timeout": "10s",
    "idle_in_transaction_session_timeout": "30s",
    "tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3",
}  # fmt: skip
#: A statement the server has not answered by then fails: the server has gone silent
#: (lost). Longer than the server's own timeouts, so those answer first.
COMMAND_SECONDS = 15.0

_Job = tuple[Callable[[Any], Any], str, asyncio.AbstractEventLoop, asyncio.Future[Any]]


def unreachable(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"database cannot be reached: {exc!r}", "unreachable")


def busy(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"database busy: {exc}", "busy")


def _failure(exc: BaseException) -> BaseException:
    """What the caller meets for ``exc``, a failure the server answered mid-unit: a
    server that cannot write now (SQLSTATE class 53: disk full, out of memory, too many
    connections; 58: an I/O error; 25006: read-only, a standby) is the store unavailable
    (503, a call's ``error``), a timeout is ``busy``; anything else stays itself (a bug)."""
    if isinstance(exc, BUSY):
        return busy(exc)
    code = str(getattr(exc, "sqlstate", "") or "")
    if isinstance(exc, asyncpg.PostgresError) and (code[:2] in ("53", "58") or code == "25006"):
        return StoreUnavailable(f"database cannot be used now: {exc}", "unwritable")
    return exc


def server_settings(url: str, **overrides: str) -> dict[str, str]:
    """:data:`SERVER_SETTINGS` (with ``overrides``) but those the URL's query sets
    (asyncpg passes those on)."""
    given = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    settings = SERVER_SETTINGS | overrides
    return {name: value for name, value in settings.items() if name not in given}


class _Worker(threading.Thread):
    def __init__(self, url: str, jobs: queue.SimpleQueue[_Job | None], pids: set[int]) -> None:
        super().__init__(name="callauth-pg", daemon=True)
        self._url, self._jobs, self._pids = url, jobs, pids
        self._loop = asyncio.new_event_loop()
        self._db: PgConnection | None = None

    def run(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                work, begin, loop, future = job
                try:
                    result = self._unit(work, begin)
                except BaseException as exc:
                    loop.call_soon_threadsafe(_settle, future, None, exc)
                else:
                    loop.call_soon_threadsafe(_settle, future, result, None)
        finally:
            self._drop()
            self._loop.close()

    def _connection(self) -> PgConnection:
        if self._db is None or self._db.conn.is_closed():
            self._drop()
            conn = self._loop.run_until_complete(
                asyncpg.connect(self._url, timeout=CONNECT_SECONDS, command_timeout=COMMAND_SECONDS,
                                server_settings=server_settings(self._url))
            )  # fmt: skip
            self._db = PgConnection(conn, self._loop)
            self._pids.add(conn.get_server_pid())
        return self._db

    def _begin(self, begin: str) -> PgConnection:
        """An open transaction. A connection found dead at BEGIN (the server restarted
        since its last unit) has done nothing yet: it is opened anew once, at once."""
        for attempt in (1, 2):
            try:
                db = self._connection()
                db.script(begin)
                return db
            except LOST as exc:
                self._drop()
                if attempt == 2:
                    raise unreachable(exc) from exc
            except asyncpg.PostgresError as exc:  # e.g. the write lock, held by another unit
                self._rollback()
                _raise(exc)
        raise AssertionError("unreachable")

    def _unit(self, work: Callable[[PgConnection], Any], begin: str) -> Any:
        db = self._begin(begin)
        try:
            result = work(db)
            db.script("COMMIT")
        except LOST as exc:
            self._drop()
            raise unreachable(exc) from exc  # committed or not, the caller must not trust it
        except BaseException as exc:
            self._rollback()
            _raise(exc)
        return result

    def _rollback(self) -> None:
        try:
            if self._db is not None:
                self._db.script("ROLLBACK")
        except LOST:
            self._drop()

    def _drop(self) -> None:
        db, self._db = self._db, None
        if db is None:
            return
        self._pids.discard(db.conn.get_server_pid())
        try:
            self._loop.run_until_complete(db.conn.close(timeout=2))
        except Exception:  # a connection already broken: nothing more to close
            db.conn.terminate()


def _raise(exc: BaseException) -> NoReturn:
    failure = _failure(exc)
    if failure is exc:
        raise exc
    raise failure from exc


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.cancelled():
        return  # the unit ran to its end; its awaiting task is gone
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


class PgTransactions(Transactions):
    """:class:`Transactions`' interface, every method its own, on a PostgreSQL pool.

    The units are typed for ``sqlite3.Connection``; they get a :class:`PgConnection`,
    which answers the same calls (db/pg_cursor.py).
    """

    def __init__(self, url: str, size: int) -> None:
        self.url = url
        #: No file to check or reopen: the server is the database.
        self.file = None
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        #: The server process ids of this pool's connections (their NOTIFYs are ours).
        self.pids: set[int] = set()
        self._workers = [_Worker(url, self._jobs, self.pids) for _ in range(max(1, size))]
        for worker in self._workers:
            worker.start()

    async def _queue(self, work: Work[T], begin: str) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put((work, begin, asyncio.get_running_loop(), future))
        return await future

    async def run_write(self, work: Work[T]) -> T:
        """``work`` as one transaction, holding the write lock until COMMIT."""
        return await self._queue(work, _BEGIN_WRITE)

    async def run_batched(self, work: Work[T]) -> T:
        """Group commit's promise (SQLite's call path shares transactions): here each unit
        is its own transaction, which keeps that promise; writers queue on the lock anyway."""
        return await self.run_write(work)

    async def run_read(self, work: Work[T]) -> T:
        """``work`` (SELECTs only) in one read-only snapshot."""
        return await self._queue(work, _BEGIN_READ)

    async def reopen(self) -> None:
        raise AssertionError("a PostgreSQL store has no file to reopen")

    async def close(self) -> None:
        for _ in self._workers:
            self._jobs.put(None)
        await asyncio.gather(*(asyncio.to_thread(w.join) for w in self._workers))
