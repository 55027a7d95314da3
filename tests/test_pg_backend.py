"""The PostgreSQL backend's own parts, on the session's real cluster: the placeholders,
the migrations (same versions as SQLite's), and a connection lost under a running store."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from callauth.db import pg_migrate
from callauth.db.dbfile import StoreUnavailable
from callauth.db.models import NewHolder
from callauth.db.pg_connection import SERVER_SETTINGS, WRITE_LOCK, server_settings
from callauth.db.pg_cursor import MANY_BATCH, numbered
from callauth.db.pg_migrate import MIGRATION_SETTINGS
from callauth.db.sqlite_open import migrations
from callauth.db.store import Store
from tests.conftest import FakeClock
from tests.pg_cluster import Cluster


def test_question_marks_become_numbered_outside_quoted_text_only() -> None:
    sql = "SELECT ? FROM t WHERE a = '?' AND b = ? AND c = \"x?\" AND d IN (?, ?)"
    assert numbered(sql) == (
        "SELECT $1 FROM t WHERE a = '?' AND b = $2 AND c = \"x?\" AND d IN ($3, $4)"
    )


def test_every_sqlite_migration_has_a_postgresql_text() -> None:
    for version, sql in migrations():
        text = pg_migrate.pg_sql(version, sql)
        assert "INTEGER" not in text, version
    assert "ALTER TABLE calls ADD FOREIGN KEY" in pg_migrate.pg_sql(1, migrations()[0][1])


async def test_instances_starting_at_once_migrate_once_to_the_latest_version(
    pg: Cluster, clock: FakeClock
) -> None:
    conn = await asyncpg.connect(pg.url("postgres"))
    await conn.execute("CREATE DATABASE fresh_start")
    await conn.close()
    url = pg.url("fresh_start")
    try:
        stores = await asyncio.gather(*(Store.open(url, clock) for _ in range(3)))
        for store in stores:
            await store.close()
        check = await asyncpg.connect(url)
        try:
            assert await pg_migrate.version(check) == migrations()[-1][0]
            assert await check.fetchval("SELECT count(*) FROM schema_version") == 1
        finally:
            await check.close()
    finally:
        await pg.drop(url)


async def _cut_connections(pg: Cluster, url: str) -> int:
    admin = await asyncpg.connect(pg.url("postgres"))
    try:
        return int(await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            url.rsplit("/", 1)[1],
        ))  # fmt: skip
    finally:
        await admin.close()


async def test_a_connection_found_dead_is_replaced_and_one_cut_mid_unit_fails_it(
    pg: Cluster, pg_url: str, clock: FakeClock
) -> None:
    store = await Store.open(pg_url, clock, pool=1)
    try:
        assert await store.count_holders() == 0
        assert await _cut_connections(pg, pg_url) == 1
        assert await store.count_holders() == 0  # dead at BEGIN: opened anew, nothing lost
        slow = asyncio.create_task(
            store.transactions.run_read(lambda db: db.execute("SELECT pg_sleep(5)").fetchall())
        )
        await asyncio.sleep(0.3)
        assert await _cut_connections(pg, pg_url) == 1
        with pytest.raises(StoreUnavailable) as failed:
            await slow  # cut while it ran: it fails, and is not run again
        assert failed.value.db == "unreachable"
        assert await store.count_holders() == 0
        assert (await store.probe()).ok
    finally:
        await store.close()


async def test_a_server_that_cannot_be_reached_is_store_unavailable(clock: FakeClock) -> None:
    with pytest.raises(StoreUnavailable):
        await Store.open("postgresql://nobody@127.0.0.1:1/none", clock)


async def test_a_bulk_insert_larger_than_one_batch_goes_in_whole(
    pg_url: str, clock: FakeClock
) -> None:
    store = await Store.open(pg_url, clock)
    try:
        count = 2 * MANY_BATCH + 1
        holders = (NewHolder(f"h{i}", "hash", "山田 太郎") for i in range(count))
        assert await store.add_holders(holders) == count
        assert await store.count_holders() == count
    finally:
        await store.close()


async def test_a_migration_waits_for_the_write_lock_a_bounded_time_and_changes_nothing(
    pg: Cluster,
) -> None:
    url = await pg.create("locked_start")
    holder = await asyncpg.connect(pg.url("locked_start"))
    try:
        # Another instance holds the write lock (migrating, or importing holders).
        await holder.execute(f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        # The URL's own setting wins over the migration's minute, as for every session.
        async with asyncio.timeout(30):
            with pytest.raises(StoreUnavailable, match="write lock") as refused:
                await pg_migrate.open_and_migrate(url + "?lock_timeout=1s")
        assert refused.value.db == "busy"
        assert await pg_migrate.version(holder) == 0  # nothing applied
        await holder.execute("COMMIT")  # the lock is free: the next start migrates
        assert await pg_migrate.open_and_migrate(url) == migrations()[-1][0]
    finally:
        await holder.close()
        await pg.drop(url)


def test_the_migration_session_keeps_the_keepalives_and_its_own_waits() -> None:
    settings = server_settings("postgresql://h/db?statement_timeout=5s", **MIGRATION_SETTINGS)
    assert settings["lock_timeout"] == "60s"  # a unit's is 10 s
    assert "statement_timeout" not in settings  # the URL's own value is passed on instead
    assert settings["tcp_keepalives_idle"] == SERVER_SETTINGS["tcp_keepalives_idle"]
    assert settings["idle_in_transaction_session_timeout"] == "30s"
