"""A batched unit that finds the database thread idle runs at once on the loop's thread
(db/connection.py): never while that thread may be using the connection, never waiting on
the loop for another process's lock, and WAL checkpoints stay on the database thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

from callauth.db.connection import CHECKPOINT_EVERY, submit_to_worker
from callauth.db.store import Store
from tests.store_support import database_thread_busy

LOOP = threading.get_ident()  # pytest-asyncio's loop runs on the main thread


def _insert_on_thread(db: sqlite3.Connection) -> int:
    db.execute("INSERT INTO audit_log (at, event) VALUES (1, 'unit')")
    return threading.get_ident()


async def test_a_unit_runs_on_the_loop_when_the_database_thread_is_idle(store: Store) -> None:
    tx = store.transactions
    assert await tx.run_batched(_insert_on_thread) == LOOP
    async with database_thread_busy(store):
        queued = asyncio.ensure_future(tx.run_batched(_insert_on_thread))
        await asyncio.sleep(0.05)
        assert not queued.done()  # it waits for the thread, which is busy
    assert await queued != LOOP
    assert await tx.run_batched(_insert_on_thread) == LOOP  # idle again


async def test_a_cancelled_read_still_holds_the_thread_until_it_is_done(store: Store) -> None:
    # The read's future is cancelled with its caller, but the read goes on running on the
    # connection: a unit must not run on the loop beside it.
    tx = store.transactions
    started, release = threading.Event(), threading.Event()

    def slow_read(db: sqlite3.Connection) -> None:
        started.set()
        release.wait(10)
        db.execute("SELECT count(*) FROM audit_log").fetchone()

    reader = asyncio.ensure_future(tx.run_read(slow_read))
    await asyncio.to_thread(started.wait, 10)
    reader.cancel()
    await asyncio.sleep(0)
    unit = asyncio.ensure_future(tx.run_batched(_insert_on_thread))
    await asyncio.sleep(0.05)
    assert not unit.done()
    release.set()
    assert await unit != LOOP


async def test_no_unit_runs_on_the_loop_while_the_connection_closes(store: Store) -> None:
    closing = asyncio.ensure_future(store.close())
    await asyncio.sleep(0)  # close() has handed the connection's close to its thread
    late = await asyncio.gather(
        store.transactions.run_batched(_insert_on_thread), return_exceptions=True
    )
    await closing
    assert isinstance(late[0], Exception), late  # queued behind the close, not run beside it


async def test_another_process_s_write_lock_is_waited_for_off_the_loop(
    store: Store, db_path: str
) -> None:
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        unit = asyncio.ensure_future(store.transactions.run_batched(_insert_on_thread))
        # Had the unit waited for the lock on the loop, this sleep would end only after it
        # had given up (busy_timeout, 5 s) and the unit would be done.
        await asyncio.sleep(0.1)
        assert not unit.done()
        other.execute("COMMIT")
        assert await unit != LOOP  # it waited on the database thread, then ran there
    finally:
        other.close()
    assert await store.transactions.run_batched(_insert_on_thread) == LOOP


async def test_wal_checkpoints_run_on_the_database_thread(store: Store) -> None:
    tx = store.transactions
    threads: list[int] = []

    def trace(db: sqlite3.Connection) -> int:
        db.set_trace_callback(
            lambda sql: threads.append(threading.get_ident()) if "wal_checkpoint" in sql else None
        )
        return int(db.execute("PRAGMA wal_autocheckpoint").fetchone()[0])

    assert await submit_to_worker(tx.conn, trace) == 0  # no checkpoint inside a COMMIT
    ran = [await tx.run_batched(_insert_on_thread) for _ in range(3 * CHECKPOINT_EVERY)]
    await tx.run_read(lambda db: None)  # after the checkpoints queued so far
    assert len(threads) == 3
    assert LOOP not in threads
    # Only a unit that came while a checkpoint ran went to the thread, behind it.
    assert ran.count(LOOP) >= len(ran) - 3
