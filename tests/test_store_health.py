"""db/health.py and the file check: the store says when it cannot be trusted, and heals."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callauth.db.dbfile import StoreUnavailable
from callauth.db.health import is_unavailable
from callauth.db.store import Store
from tests.conftest import FakeClock
from tests.readonly_support import AS_ROOT, Freezer


@pytest.fixture
async def folder_store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Store]:
    """A store whose file lives in a folder of its own (tmp_path/data/callauth.db)."""
    (tmp_path / "data").mkdir()
    store = await Store.open(str(tmp_path / "data" / "callauth.db"), clock)
    try:
        yield store
    finally:
        await store.close()


def backup(store_path: Path, to: Path) -> None:
    with sqlite3.connect(store_path) as src, sqlite3.connect(to) as dst:
        src.backup(dst)


async def event_count(store: Store) -> int:
    return len(await store.audit_entries())


async def test_a_healthy_store_passes_a_real_write(store: Store, db_path: str) -> None:
    assert (await store.probe()).ok
    assert (await store.probe()).ok
    with sqlite3.connect(db_path) as raw:
        row = raw.execute("SELECT probes, probed_at FROM health").fetchone()
    assert row == (2, store.clock())  # each probe changes the row, so each one writes


@pytest.mark.skipif(not AS_ROOT, reason="chmod cannot take write access from an open file")
async def test_a_second_probe_on_a_read_only_file_fails_too(
    store: Store, db_path: str, freezer: Freezer
) -> None:
    assert (await store.probe()).ok  # same clock: only the count tells the row changed
    freezer.freeze(Path(db_path), Path(db_path + "-wal"))
    assert (await store.probe()).db == "unwritable"


async def test_a_deleted_folder_is_reported_and_nothing_more_is_written(
    folder_store: Store, tmp_path: Path
) -> None:
    await folder_store.audit(None, "before")
    shutil.rmtree(tmp_path / "data")
    health = await folder_store.probe()
    assert (health.ok, health.db) == (False, "missing")
    assert "callauth.db is gone" in health.reason
    with pytest.raises(StoreUnavailable):  # the write is refused, not made into a ghost
        await folder_store.audit(None, "after")
    with pytest.raises(StoreUnavailable):  # nor are the deleted file's rows read as truth
        await folder_store.holder_by_login("yamada")
    assert not (tmp_path / "data").exists()  # and no new, empty database appears


async def test_a_restored_file_is_reopened_and_used(folder_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "data" / "callauth.db"
    await folder_store.audit(None, "in the backup")
    backup(path, tmp_path / "backup.db")
    await folder_store.audit(None, "lost with the folder")
    shutil.rmtree(tmp_path / "data")
    assert not (await folder_store.probe()).ok
    (tmp_path / "data").mkdir()
    assert (await folder_store.probe()).db == "missing"  # an empty folder is not a database
    assert list((tmp_path / "data").iterdir()) == []
    shutil.copy(tmp_path / "backup.db", path)
    assert (await folder_store.probe()).ok
    await folder_store.audit(None, "after the restore")
    assert [e.event for e in await folder_store.audit_entries()] == [
        "after the restore", "in the backup"
    ]  # fmt: skip


async def test_a_folder_moved_away_and_back_is_the_same_database(
    folder_store: Store, tmp_path: Path
) -> None:
    await folder_store.audit(None, "kept")
    (tmp_path / "data").rename(tmp_path / "aside")
    assert (await folder_store.probe()).db == "missing"
    (tmp_path / "aside").rename(tmp_path / "data")
    assert (await folder_store.probe()).ok
    assert await event_count(folder_store) == 1


async def test_a_file_replaced_by_something_else_stays_unavailable(
    folder_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "data" / "callauth.db"
    shutil.rmtree(path.parent)  # with its -wal, which would still hold the old pages
    path.parent.mkdir()
    path.write_bytes(b"not a database" * 100)
    health = await folder_store.probe()
    assert (health.ok, health.db) == (False, "replaced")
    assert "cannot be opened" in health.reason
    with pytest.raises(StoreUnavailable):
        await folder_store.audit(None, "x")


@pytest.mark.skipif(not AS_ROOT, reason="chmod cannot take write access from an open file")
async def test_a_file_made_read_only_is_unwritable_until_it_is_writable_again(
    store: Store, db_path: str, freezer: Freezer
) -> None:
    # The -wal file takes the writes in WAL mode, so both are frozen (never -shm: SIGBUS).
    freezer.freeze(Path(db_path), Path(db_path + "-wal"))
    health = await store.probe()
    assert (health.ok, health.db) == (False, "unwritable")
    assert "cannot be written" in health.reason
    freezer.thaw()
    assert (await store.probe()).ok
    await store.audit(None, "after")
    assert await event_count(store) == 1


async def test_a_change_is_logged_once_not_at_every_probe(
    folder_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await folder_store.probe()
    (tmp_path / "data").rename(tmp_path / "aside")
    for _ in range(3):
        await folder_store.probe()
    (tmp_path / "aside").rename(tmp_path / "data")
    for _ in range(3):
        await folder_store.probe()
    lines = [r.getMessage() for r in caplog.records if r.name == "callauth.db.health"]
    assert len(lines) == 2
    assert lines[0].startswith("database unavailable (missing): database file")
    assert lines[1] == "database usable again (it was missing)"
    assert [r.levelno for r in caplog.records if r.name == "callauth.db.health"] == [
        logging.ERROR, logging.WARNING
    ]  # fmt: skip


async def test_a_lock_held_past_the_busy_timeout_is_busy_not_unwritable(
    store: Store, db_path: str
) -> None:
    def short_wait(db: sqlite3.Connection) -> None:
        db.execute("PRAGMA busy_timeout = 50")

    await store.transactions.run_read(short_wait)
    with sqlite3.connect(db_path, isolation_level=None) as other:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        health = await store.probe()
        other.execute("ROLLBACK")
    assert (health.ok, health.db) == (False, "busy")
    assert (await store.probe()).ok


def test_store_failures_are_told_from_bugs() -> None:
    readonly = sqlite3.connect(":memory:")
    readonly.execute("PRAGMA query_only = 1")
    with pytest.raises(sqlite3.OperationalError) as written:
        readonly.execute("CREATE TABLE t (x)")
    with pytest.raises(sqlite3.OperationalError) as typo:
        readonly.execute("SELECT * FROM no_such_table")
    assert is_unavailable(written.value)  # SQLITE_READONLY: the store, not the query
    assert not is_unavailable(typo.value)  # SQLITE_ERROR: a bug, stays a 500
    assert is_unavailable(StoreUnavailable("gone", "missing"))
    assert not is_unavailable(ValueError("x"))
    readonly.close()
