"""Opening the SQLite file: WAL, foreign keys, the pragmas units of work rely on, and the
migrations in ``db/migrations``."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import urllib.parse
from importlib import resources

import aiosqlite

logger = logging.getLogger(__name__)

#: How long a unit on the database thread waits for another process's write lock.
BUSY_TIMEOUT_MS = 5000


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) of every file in db/migrations, in order: ``0001_initial.sql`` is 1."""
    folder = resources.files("callauth.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def _open_sqlite(path: str, create: bool) -> sqlite3.Connection:
    # check_same_thread=False: opened on an executor thread, then used on aiosqlite's worker
    # thread, or on the loop's while that one is idle (sqlite3 is built thread-safe; one
    # thread uses the connection at a time: db/connection.py).
    if create:
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    uri = f"file:{urllib.parse.quote(path)}?mode=rw"
    return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)


async def connect(path: str, *, create: bool = True) -> aiosqlite.Connection:
    """Open and migrate the database at ``path``, creating the file if ``create``.

    The file is opened here, on a thread this coroutine awaits to the end, and only an
    open connection is handed to aiosqlite. When aiosqlite itself opens a file and fails,
    it queues its worker thread's stop with a future nobody awaits and raises at once; the
    thread then answers that future on a loop that ``run_app`` has already closed, and
    prints "Event loop is closed" from the thread (about 5 start-ups in 8). Handed an
    open connection, aiosqlite's own opening step cannot fail, and every later failure
    goes through :meth:`aiosqlite.Connection.close`, which we await.
    """
    sync = await asyncio.to_thread(_open_sqlite, path, create)
    conn = aiosqlite.Connection(lambda: sync, iter_chunk_size=64)
    await conn
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        # Checkpoints run on the database thread (db/connection.py, CHECKPOINT_EVERY).
        await conn.execute("PRAGMA wal_autocheckpoint = 0")
        await conn.execute("PRAGMA foreign_keys = ON")
        await migrate(conn)
    except BaseException:
        await conn.close()
        raise
    return conn


async def migrate(conn: aiosqlite.Connection) -> int:
    """Apply the migrations newer than ``PRAGMA user_version``; return the final version."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    for version, sql in migrations():
        if version <= current:
            continue
        logger.info("applying database migration %04d", version)
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await _execute_script(conn, sql)
            await conn.execute(f"PRAGMA user_version = {version}")
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        current = version
    return current


async def _execute_script(conn: aiosqlite.Connection, sql: str) -> None:
    # executescript() would COMMIT first; run the statements one by one inside our BEGIN.
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            await conn.execute(statement)
            statement = ""
