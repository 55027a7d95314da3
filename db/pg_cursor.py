"""The sqlite3 connection's surface over one asyncpg connection, for the same units of work.

Every query is a synchronous unit of work ``work(db)`` written against ``sqlite3``'s
``execute(sql, params)`` (db/connection.py). :class:`PgConnection` gives a unit the same
calls on a PostgreSQL connection: ``?`` placeholders become ``$1 … $n``, each statement is
prepared once per connection and run on the worker thread's own event loop
(db/pg_connection.py), and the answer is a cursor with ``fetchone``, ``fetchall``,
iteration and ``rowcount``. asyncpg's ``Record`` reads by index and by name, as
``sqlite3.Row`` does. A constraint violation is raised as an :class:`IntegrityError`, a
subclass of ``sqlite3.IntegrityError``, so the units' one ``except`` holds for both.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import asyncpg

#: Prepared statements kept per connection (the units use fewer than this many texts).
CACHE_LIMIT = 512
#: Parameter sets per asyncpg ``executemany`` call.
MANY_BATCH = 5000


class IntegrityError(sqlite3.IntegrityError):
    """A PostgreSQL constraint violation (unique, foreign key, check, not null)."""


def numbered(sql: str) -> str:
    """``sql`` with each ``?`` outside a quoted string as ``$1``, ``$2`` … in order."""
    out: list[str] = []
    quote = ""
    count = 0
    for char in sql:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "?":
            count += 1
            out.append(f"${count}")
            continue
        out.append(char)
    return "".join(out)


class Cursor:
    """What one statement returned: its rows and how many rows it touched."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


def _rowcount(status: str | None, rows: int) -> int:
    # "UPDATE 3", "INSERT 0 1", "DELETE 0", "SELECT 2": the last word is the count.
    last = (status or "").rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else rows


class PgConnection:
    """A unit of work's ``db`` on a worker thread: synchronous calls on asyncpg."""

    def __init__(self, conn: asyncpg.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self.conn = conn
        self.loop = loop
        self._prepared: dict[str, asyncpg.prepared_stmt.PreparedStatement] = {}

    def run(self, coroutine: Any) -> Any:
        """Run one asyncpg call to its end on this thread's loop."""
        return self.loop.run_until_complete(coroutine)

    def _statement(self, sql: str) -> asyncpg.prepared_stmt.PreparedStatement:
        statement = self._prepared.get(sql)
        if statement is None:
            if len(self._prepared) >= CACHE_LIMIT:
                self._prepared.clear()
            statement = self.run(self.conn.prepare(numbered(sql)))
            self._prepared[sql] = statement
        return statement

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        statement = self._statement(sql)
        try:
            rows = self.run(statement.fetch(*params))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc
        return Cursor(list(rows), _rowcount(statement.get_statusmsg(), len(rows)))

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> Cursor:
        """Each parameter set in turn; ``rowcount`` is the number of sets run.

        In batches of :data:`MANY_BATCH`: each asyncpg call has the connection's command
        timeout, which a million rows at once (seeding, an import) would run past."""
        values = list(params)
        text = numbered(sql)
        for start in range(0, len(values), MANY_BATCH):
            try:
                self.run(self.conn.executemany(text, values[start : start + MANY_BATCH]))
            except asyncpg.IntegrityConstraintViolationError as exc:
                raise IntegrityError(str(exc)) from exc
        return Cursor([], len(values))

    def script(self, sql: str) -> None:
        """Several statements in one simple query (migrations, BEGIN … )."""
        self.run(self.conn.execute(sql))
