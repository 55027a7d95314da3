"""Secrets the server makes for itself, kept in the store (migration 0007).

Kept in the database rather than in a file beside it so that every process on the same
store (and, with a shared PostgreSQL later, every machine) signs with the same key, and a
backup of the database restores it too. Values are never logged.
"""

from __future__ import annotations

import sqlite3

from callauth.db.store import Store


async def get_or_create(store: Store, name: str, candidate: str) -> str:
    """The secret called ``name``; the first caller's ``candidate`` becomes it.

    One transaction: of several processes starting at once, exactly one candidate wins and
    all of them read that one back.
    """
    now = store.clock()

    def work(db: sqlite3.Connection) -> str:
        db.execute(
            "INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO NOTHING",
            (name, candidate, now),
        )
        row = db.execute("SELECT value FROM server_secrets WHERE name = ?", (name,)).fetchone()
        return str(row[0])

    return await store.transactions.run_write(work)
