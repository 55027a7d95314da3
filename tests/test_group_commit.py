"""db/group_commit.py: units queued together share one transaction, each keeps its own
result and its own failure, and nobody hears of a write that was not committed.

A unit that finds the database thread idle runs at once on the loop's thread
(tests/test_loop_units.py); these tests hold that thread busy so that units queue.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from callauth.db.connection import submit_to_worker
from callauth.db.dbfile import StoreUnavailable
from callauth.db.models import ChallengeState
from callauth.db.store import Store
from tests.conftest import FakeClock
from tests.store_support import create_on, database_thread_busy
from tests.test_store import AUTH, PHONE, a_call, a_holder


def _insert(event: str, fail: bool = False) -> Callable[[sqlite3.Connection], int]:
    def work(db: sqlite3.Connection) -> int:
        row = db.execute("INSERT INTO audit_log (at, event) VALUES (1, ?)", (event,)).lastrowid
        if fail:
            raise ValueError(f"unit {event} failed")
        assert row is not None
        return row

    return work


async def _events(store: Store) -> list[str]:
    return sorted(entry.event for entry in await store.audit_entries())


async def _commits(store: Store) -> list[str]:
    """Start recording the statements that end a transaction on the store's connection."""
    seen: list[str] = []

    def trace(db: sqlite3.Connection) -> None:
        db.set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)

    await submit_to_worker(store.transactions.conn, trace)
    return seen


async def _queued(store: Store, *units: Awaitable[Any]) -> list[Any]:
    """The units' results, all queued while the database thread was busy."""
    async with database_thread_busy(store):
        pending = [asyncio.ensure_future(unit) for unit in units]
        await asyncio.sleep(0)
    return await asyncio.gather(*pending, return_exceptions=True)


async def test_units_queued_while_one_runs_share_the_next_transaction(store: Store) -> None:
    commits = await _commits(store)
    tx = store.transactions
    rows = await _queued(store, *(tx.run_batched(_insert(f"e{i:02d}")) for i in range(20)))
    # The first went alone to the database thread; the 19 queued behind it, as one batch.
    assert len(commits) == 2
    assert len(set(rows)) == 20
    assert await _events(store) == [f"e{i:02d}" for i in range(20)]


async def test_a_failing_unit_loses_only_its_own_writes(store: Store) -> None:
    tx = store.transactions
    results = await _queued(
        store,
        tx.run_batched(_insert("first")),
        tx.run_batched(_insert("a")),
        tx.run_batched(_insert("b", fail=True)),
        tx.run_batched(_insert("c")),
    )
    assert isinstance(results[2], ValueError) and "unit b failed" in str(results[2])
    assert all(isinstance(r, int) for i, r in enumerate(results) if i != 2)
    assert await _events(store) == ["a", "c", "first"]
    await tx.run_batched(_insert("after"))  # no transaction or savepoint left open
    assert "after" in await _events(store)


async def test_a_unit_that_ends_the_transaction_fails_every_unit_of_it(store: Store) -> None:
    # "a" ran before it in the same transaction and is rolled back with it: "a" must not
    # be told it succeeded (SQLite ending a transaction by itself, e.g. SQLITE_FULL, alike).
    def rollback(db: sqlite3.Connection) -> None:
        db.execute("ROLLBACK")

    tx = store.transactions
    results = await _queued(
        store,
        tx.run_batched(_insert("first")),
        tx.run_batched(_insert("a")),
        tx.run_batched(rollback),
        tx.run_batched(_insert("c")),
    )
    assert isinstance(results[0], int)
    assert all(isinstance(r, RuntimeError) for r in results[1:]), results
    assert await _events(store) == ["first"]


async def test_a_replaced_file_fails_the_whole_batch_and_commits_nothing(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "c.db"
    store = await Store.open(str(path), clock)
    try:
        await store.transactions.run_batched(_insert("before"))
        async with database_thread_busy(store):
            os.replace(path, tmp_path / "moved.db")
            path.write_bytes(b"")  # another file at the path
            pending = [asyncio.ensure_future(store.transactions.run_batched(_insert(f"e{i}")))
                       for i in range(5)]  # fmt: skip
            await asyncio.sleep(0)
        results = await asyncio.gather(*pending, return_exceptions=True)
        assert all(isinstance(r, StoreUnavailable) for r in results), results
        # The connection still has the moved file open: only "before" was committed to it.
        events = await submit_to_worker(
            store.transactions.conn,
            lambda db: [row[0] for row in db.execute("SELECT event FROM audit_log")],
        )
        assert events == ["before"]
    finally:
        await store.close()


async def test_a_cancelled_caller_s_unit_still_commits(store: Store) -> None:
    tx = store.transactions
    async with database_thread_busy(store):
        first = asyncio.create_task(tx.run_batched(_insert("first")))
        queued = asyncio.create_task(tx.run_batched(_insert("queued")))
        await asyncio.sleep(0)  # both queued: "first" sent, "queued" waiting for it
        queued.cancel()
    await first
    with pytest.raises(asyncio.CancelledError):
        await queued
    await tx.run_batched(_insert("later"))  # runs after "queued" has
    assert await _events(store) == ["first", "later", "queued"]


async def test_closing_the_store_runs_the_units_already_queued(
    db_path: str, clock: FakeClock
) -> None:
    store = await Store.open(db_path, clock)
    async with database_thread_busy(store):
        pending = [asyncio.ensure_future(store.transactions.run_batched(_insert(f"e{i}")))
                   for i in range(10)]  # fmt: skip
        await asyncio.sleep(0)
    await store.close()  # the ten are still queued
    assert all(isinstance(p.result(), int) for p in pending)
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 10


async def test_calls_racing_in_one_batch_verify_a_challenge_once(
    store: Store, clock: FakeClock
) -> None:
    holder_id = await a_holder(store)
    challenge = await create_on(store, holder_id, "s", PHONE, AUTH, 120)
    commits = await _commits(store)
    calls = await _queued(
        store, *(store.record_call(a_call(clock), verify=challenge.id) for _ in range(4))
    )
    assert len(commits) == 2  # one alone, then three in one transaction
    assert sorted(c.outcome for c in calls) == ["not_matched"] * 3 + ["verified"]
    stored = await store.challenge(challenge.id)
    assert stored is not None and stored.state is ChallengeState.VERIFIED
    winner = next(c for c in calls if c.outcome == "verified")
    assert stored.verified_call_id == winner.id
