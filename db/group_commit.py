"""Group commit: a call's unit of work runs at once when the database thread is idle, and
the units that queue while it is busy share one hop to it and one transaction, each in its
own SAVEPOINT, each with its own result.

A call's unit of work is short (a few indexed reads, an INSERT, a guarded UPDATE); what it
cost was everything around it: a hop to aiosqlite's thread and back (two thread wake-ups
and two GIL hand-overs, about half a lone call's time) and a COMMIT writing the same WAL
pages again for each call. So a unit that finds the database thread idle runs at once on
the event loop's thread, as its own transaction (``run_here``: it never waits for a lock
there); one that finds it busy queues, and the queue goes to the thread as the next batch,
and so on until none is left. Nobody's result is given before the COMMIT of the
transaction holding its writes: a call is never told ``verified`` before its call row and
its ``pending → verified`` are committed.

A unit that raises is rolled back to its savepoint and gets its exception; the others go
on. If SQLite rolls the whole transaction back itself (SQLITE_FULL, IOERR …), or the COMMIT
or the file check fails, every unit of the batch gets that exception: none of them is in
the database.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from callauth.db.dbfile import DbFile

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]
#: A unit's end: (True, its result) or (False, the exception it raised).
Outcome = tuple[bool, Any]
#: Queues a batch (``run_batch``) on the database thread: the future of its outcomes.
Submit = Callable[[list[Work]], "asyncio.Future[list[Outcome]]"]
Queued = tuple[Work, "asyncio.Future[Any]"]
#: Runs one unit at once on the loop's thread; None, having done nothing, when it cannot now.
RunHere = Callable[[Work], "Outcome | None"]

#: At most this many units in one transaction: a long queue is cut into several, so that
#: the database thread's other work (a login, a page) waits for a few ms, not for all.
MAX_BATCH = 64


def run_batch(works: Sequence[Work], file: DbFile | None, db: sqlite3.Connection) -> list[Outcome]:
    """On the database thread: ``works`` in one transaction, each in its own savepoint
    (a lone unit needs none: its failure rolls back the transaction, which is its own)."""
    db.execute("BEGIN IMMEDIATE")
    return commit_batch(works, file, db)


def commit_batch(
    works: Sequence[Work], file: DbFile | None, db: sqlite3.Connection
) -> list[Outcome]:
    """``works`` in the transaction just begun, then COMMIT (see :func:`run_batch`)."""
    try:
        if len(works) == 1:
            outcomes = [(True, works[0](db))]
        else:
            outcomes = [_in_savepoint(work, db) for work in works]
        if file is not None:
            file.check()  # never commit into a deleted or replaced file
        db.execute("COMMIT")
    except BaseException as exc:
        if db.in_transaction:
            db.execute("ROLLBACK")
        if len(works) == 1 and isinstance(exc, Exception):
            return [(False, exc)]
        raise
    return outcomes


def _in_savepoint(work: Work, db: sqlite3.Connection) -> Outcome:
    db.execute("SAVEPOINT unit")
    try:
        result = work(db)
    except Exception as exc:
        if not db.in_transaction:
            raise  # SQLite rolled back the whole transaction: every unit of it is lost
        db.execute("ROLLBACK TO unit")
        db.execute("RELEASE unit")
        return False, exc
    if not db.in_transaction:  # the unit ended the transaction itself: a bug, not a result
        raise RuntimeError("a batched unit of work ended its transaction")
    db.execute("RELEASE unit")
    return True, result


class GroupCommit:
    """Runs a unit through ``run_here`` when it can, else queues it and runs the queue in
    batches through ``submit``, one batch at a time.

    No task of its own: the batch's future, once done, hands the next batch to the
    database thread first and then gives each unit its result.
    """

    def __init__(
        self, submit: Submit, run_here: RunHere | None = None, limit: int = MAX_BATCH
    ) -> None:
        self._submit = submit
        self._run_here = run_here
        self._limit = limit
        self._queue: list[Queued] = []
        self._running: asyncio.Future[list[Outcome]] | None = None

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work``'s result once the transaction holding it has committed. Once queued it
        runs even if the awaiting task is cancelled: a unit is never cut in half."""
        if self._running is None and self._run_here is not None:
            outcome = self._run_here(work)
            if outcome is not None:
                ok, value = outcome
                if ok:
                    return value  # type: ignore[no-any-return]
                raise value
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        if self._running is None:
            self._next()
        return await future

    async def flush(self) -> None:
        """Wait until every queued unit has run (before the connection is closed)."""
        while self._running is not None:
            await asyncio.wait([self._running])

    def _next(self) -> None:
        batch = self._queue[: self._limit]
        del self._queue[: self._limit]
        try:
            running = self._submit([work for work, _ in batch])
        except Exception as exc:  # the connection is closed: nothing of it will run
            _deliver(batch, [(False, exc)] * len(batch))
            if self._queue:
                self._next()
            return
        self._running = running
        running.add_done_callback(functools.partial(self._done, batch))

    def _done(self, batch: list[Queued], running: asyncio.Future[list[Outcome]]) -> None:
        self._running = None
        if self._queue:
            self._next()  # the database thread starts on it while we hand out results
        if running.cancelled():  # the loop is going away; the batch ran all the same
            for _, future in batch:
                future.cancel()
            return
        failed = running.exception()
        if failed is not None:  # the transaction failed: no unit of it committed
            _deliver(batch, [(False, failed)] * len(batch))
        else:
            _deliver(batch, running.result())


def _deliver(batch: list[Queued], outcomes: list[Outcome]) -> None:
    for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
        if future.done():  # its task was cancelled; the unit ran all the same
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
