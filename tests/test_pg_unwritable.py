"""A PostgreSQL server that answers but cannot write (a read-only server, a full disk)
is the store unavailable (``unwritable``: a 503 page, a call's ``error``), not a bug (500),
and the unit's connection stays for when the server can write again."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest

from callauth.db.dbfile import StoreUnavailable
from callauth.db.health import is_unavailable
from callauth.db.models import NewHolder
from callauth.db.store import Store
from tests.conftest import FakeClock


def _pid(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT pg_backend_pid()").fetchone()[0])


async def test_a_read_only_server_is_unwritable_and_the_probe_says_so(
    pg_url: str, clock: FakeClock
) -> None:
    name = pg_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(pg_url)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    finally:
        await admin.close()
    store = await Store.open(pg_url, clock, pool=1)
    try:
        pid = await store.transactions.run_read(_pid)
        with pytest.raises(StoreUnavailable) as failed:
            await store.add_holder(NewHolder("readonly", "hash", "読取 太郎"))
        assert failed.value.db == "unwritable" and is_unavailable(failed.value)
        assert "read-only" in str(failed.value)
        assert (await store.probe()).db == "unwritable"
        assert await store.transactions.run_read(_pid) == pid
    finally:
        await store.close()


async def test_a_full_disk_mid_unit_is_unwritable(pg_url: str, clock: FakeClock) -> None:
    store = await Store.open(pg_url, clock, pool=1)
    full = "DO $$ BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$"
    try:
        with pytest.raises(StoreUnavailable) as failed:
            await store.transactions.run_write(lambda db: db.execute(full))
        assert failed.value.db == "unwritable" and "could not extend file" in str(failed.value)
        added = await store.add_holder(NewHolder("after", "hash", "後続 太郎"))
        assert await store.holder_by_login("after") == added
    finally:
        await store.close()
