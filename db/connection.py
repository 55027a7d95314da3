"""One aiosqlite connection per process: WAL, foreign keys, migrations, transactions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from importlib import resources

import aiosqlite

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) of every file in db/migrations, in order: ``0001_initial.sql`` is 1."""
    folder = resources.files("db") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


async def connect(path: str) -> aiosqlite.Connection:
    """Open (creating if needed) and migrate the database at ``path``."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
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


class Transactions:
    """Serialises the connection: aiosqlite shares one transaction between all coroutines,
    so each unit of work holds the lock from BEGIN to COMMIT."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            yield self.conn
