"""A PostgreSQL unit that waits too long (for the write lock, or on one statement) fails
on its own as ``busy`` and its connection stays; only a server that stops answering
drops the connection. The pool's connections carry the server settings that stop a
vanished client from holding the lock for long."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest

from callauth.db.dbfile import StoreUnavailable
from callauth.db.models import NewHolder
from callauth.db.pg_connection import WRITE_LOCK
from callauth.db.store import Store
from tests.conftest import FakeClock


def _pid(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT pg_backend_pid()").fetchone()[0])


async def test_a_unit_waiting_past_the_lock_timeout_fails_busy_and_keeps_its_connection(
    pg_url: str, clock: FakeClock
) -> None:
    store = await Store.open(pg_url + "?lock_timeout=300", clock, pool=1)
    holder = await asyncpg.connect(pg_url)  # a long import, as another instance runs it
    try:
        pid = await store.transactions.run_read(_pid)
        await holder.execute(f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        with pytest.raises(StoreUnavailable) as failed:
            await store.add_holder(NewHolder("waiting", "hash", "待機 太郎"))
        assert failed.value.db == "busy" and "lock timeout" in str(failed.value)
        assert await store.transactions.run_read(_pid) == pid  # the same connection
        await holder.execute("COMMIT")
        added = await store.add_holder(NewHolder("after", "hash", "後続 太郎"))
        assert await store.holder_by_login("after") == added
        assert await store.holder_by_login("waiting") is None
        assert await store.transactions.run_read(_pid) == pid
    finally:
        await holder.close()
        await store.close()


async def test_a_statement_past_the_statement_timeout_fails_busy_and_keeps_its_connection(
    pg_url: str, clock: FakeClock
) -> None:
    store = await Store.open(pg_url + "?statement_timeout=200", clock, pool=1)
    try:
        pid = await store.transactions.run_read(_pid)
        with pytest.raises(StoreUnavailable) as failed:
            await store.transactions.run_write(lambda db: db.execute("SELECT pg_sleep(2)"))
        assert failed.value.db == "busy"
        assert await store.transactions.run_read(_pid) == pid
    finally:
        await store.close()


async def test_the_pool_connects_with_the_settings_that_bound_a_vanished_client(
    pg_url: str, clock: FakeClock
) -> None:
    store = await Store.open(pg_url, clock, pool=1)
    names = ("idle_in_transaction_session_timeout", "lock_timeout", "statement_timeout",
             "tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")  # fmt: skip
    try:
        shown = await store.transactions.run_read(
            lambda db: {name: db.execute(f"SHOW {name}").fetchone()[0] for name in names}
        )
    finally:
        await store.close()
    assert shown == {
        "idle_in_transaction_session_timeout": "30s", "lock_timeout": "10s",
        "statement_timeout": "10s", "tcp_keepalives_idle": "10",
        "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3",
    }  # fmt: skip
