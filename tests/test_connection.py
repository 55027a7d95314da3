"""db/connection.py: a unit of work in one hop to aiosqlite's thread, committed or rolled back."""

from __future__ import annotations

import asyncio
import pathlib
import sqlite3
import threading
from importlib import metadata

import aiosqlite
import pytest

from callauth.db.connection import Transactions, submit_to_worker
from callauth.db.sqlite_open import connect
from callauth.db.store import Store


async def test_aiosqlite_is_a_version_whose_private_parts_we_use(db_path: str) -> None:
    # submit_to_worker relies on Connection._tx (the queue of (future, function) pairs its
    # thread runs), _conn and _running; setup.cfg pins aiosqlite to the versions checked.
    major, minor = (int(part) for part in metadata.version("aiosqlite").split(".")[:2])
    assert (0, 20) <= (major, minor) < (0, 23)
    assert isinstance(aiosqlite.Connection._conn, property)
    conn = await connect(db_path)
    try:
        assert conn._running is True and callable(conn._tx.put_nowait)
    finally:
        await conn.close()
    assert conn._running is False
    with pytest.raises(ValueError, match="closed"):
        await submit_to_worker(conn, lambda db: None)


async def test_work_runs_on_the_connection_thread_and_returns_its_result(db_path: str) -> None:
    conn = await connect(db_path)
    try:

        def work(db: sqlite3.Connection) -> tuple[int, int]:
            return threading.get_ident(), db.execute("SELECT 6 * 7").fetchone()[0]

        thread, value = await submit_to_worker(conn, work)
    finally:
        await conn.close()
    assert value == 42
    assert thread != threading.get_ident()


async def test_a_failing_unit_of_work_leaves_nothing_behind(store: Store) -> None:
    def work(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO audit_log (at, event) VALUES (1, 'half')")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await store.transactions.run_write(work)
    assert await store.audit_entries() == []
    await store.audit(None, "after")  # the connection is usable: no transaction left open
    assert [entry.event for entry in await store.audit_entries()] == ["after"]


async def test_units_of_work_from_many_tasks_never_interleave(store: Store) -> None:
    def work(db: sqlite3.Connection) -> int:
        db.execute("INSERT INTO audit_log (at, event) VALUES (1, 'x')")
        return int(db.execute("SELECT count(*) FROM audit_log").fetchone()[0])

    counts = await asyncio.gather(*(store.transactions.run_write(work) for _ in range(50)))
    assert sorted(counts) == list(range(1, 51))


def test_there_is_one_data_access_style() -> None:
    # Every unit of work is one hop; a multi-hop transaction would need a lock all wait on.
    assert not hasattr(Transactions, "write") and not hasattr(Transactions, "read")


async def test_a_database_that_cannot_be_opened_leaves_no_database_thread(
    tmp_path: pathlib.Path,
) -> None:
    # aiosqlite's own failed open left its thread to answer a future on a loop that might
    # be closed by then ("Event loop is closed" after `callauth serve`'s clear message).
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        await connect(str(tmp_path / "missing" / "x.db"))
    workers = [t for t in threading.enumerate() if "_connection_worker_thread" in t.name]
    assert workers == []
