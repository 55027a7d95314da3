"""Every row of one database into another, empty one (``callauth db copy``): moving a site
from its SQLite file to PostgreSQL (or back), ids kept, then the rows counted on both.

Tables go in an order their foreign keys allow; ``challenges.verified_call_id`` names a
call that is copied after it, so it is written once the calls are there. Each batch is a
transaction of its own: a copy that stops half-way leaves rows behind, which the count
check reports and a second run refuses (the destination must be empty).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from callauth.db.pg_connection import PgTransactions
from callauth.db.store import Store

#: (table, the columns it is ordered by): parents first. health is each database's own.
TABLES: tuple[tuple[str, str], ...] = (
    ("holders", "id"), ("contracts", "id"), ("challenges", "id"), ("calls", "id"),
    ("phone_changes", "id"), ("audit_log", "id"), ("web_sessions", "key"), ("outbox", "id"),
    ("email_confirmations", "id"), ("login_throttles", "scope, login_id, address"),
    ("server_secrets", "name"), ("operators", "id"), ("operator_sessions", "key_hash"),
    ("operator_audit", "id"),
)  # fmt: skip
#: Written after every table is in: (table, column) naming a row copied later.
LATER = {"challenges": "verified_call_id"}
BATCH = 2000


class NotEmpty(Exception):
    """The destination already holds rows: a copy would mix two sites."""


@dataclass(frozen=True)
class Count:
    table: str
    source: int
    copied: int


def _count(table: str) -> Callable[[sqlite3.Connection], int]:
    return lambda db: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


async def counts(store: Store) -> dict[str, int]:
    return {table: await store.transactions.run_read(_count(table)) for table, _ in TABLES}


def _read(table: str, order: str, offset: int) -> Callable[[sqlite3.Connection], list[dict]]:
    def work(db: sqlite3.Connection) -> list[dict]:
        sql = f"SELECT * FROM {table} ORDER BY {order} LIMIT ? OFFSET ?"
        return [dict(row) for row in db.execute(sql, (BATCH, offset))]

    return work


def _insert(table: str, rows: list[dict]) -> Callable[[sqlite3.Connection], None]:
    later = LATER.get(table)
    columns = list(rows[0])
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    values = [[None if c == later else row[c] for c in columns] for row in rows]

    def work(db: sqlite3.Connection) -> None:
        db.executemany(sql, values)

    return work


def _set_later(
    table: str, pairs: list[tuple[object, object]]
) -> Callable[[sqlite3.Connection], None]:
    sql = f"UPDATE {table} SET {LATER[table]} = ? WHERE id = ?"

    def work(db: sqlite3.Connection) -> None:
        db.executemany(sql, pairs)

    return work


def _restart_identities(db: sqlite3.Connection) -> None:
    # PostgreSQL's identity columns count on from their own sequence, not from max(id).
    for table, order in TABLES:
        if order == "id":
            db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" coalesce(max(id), 0) + 1, false) FROM {table}"
            )


async def copy(source: Store, target: Store, progress: Callable[[int], None]) -> list[Count]:
    """Copy every row; ``progress(rows so far)`` after each batch; the counts after."""
    before = await counts(source)
    if any((await counts(target)).values()):
        raise NotEmpty("the destination database already holds rows")
    done = 0
    later: dict[str, list[tuple[object, object]]] = {}
    for table, order in TABLES:
        for offset in range(0, before[table], BATCH):
            rows = await source.transactions.run_read(_read(table, order, offset))
            if not rows:  # fewer than counted: the count check says so
                break
            await target.transactions.run_write(_insert(table, rows))
            if column := LATER.get(table):
                pairs = [(row[column], row["id"]) for row in rows if row[column] is not None]
                later.setdefault(table, []).extend(pairs)
            done += len(rows)
            progress(done)
    for table, pairs in later.items():
        await target.transactions.run_write(_set_later(table, pairs))
    if isinstance(target.transactions, PgTransactions):
        await target.transactions.run_write(_restart_identities)
    after = await counts(target)
    return [Count(table, before[table], after[table]) for table, _ in TABLES]
