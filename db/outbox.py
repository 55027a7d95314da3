"""The mail outbox: mails are written here in one small transaction and sent later.

A background sender (the composition root's mailer) takes the due ones, sends them and
marks each sent or failed with the time of its next attempt. A mail survives a restart
and a relay that is down; nothing on a login's path ever waits for SMTP.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from dataclasses import dataclass

from callauth.db.connection import Transactions
from callauth.db.store import Store

#: A mail handed out by :meth:`Outbox.due` is not handed out again for this long, so a
#: slow send is not taken twice; a crash mid-send retries it after this.
CLAIM_SECONDS = 600
#: One wake-up per database connection: every Outbox over one store (the notifier's, the
#: web's, the sender's) wakes the same sender.
_QUEUED: weakref.WeakKeyDictionary[Transactions, asyncio.Event] = weakref.WeakKeyDictionary()

_COLUMNS = "id, created_at, to_addr, subject, body, attempts, next_attempt_at, sent_at, last_error"


@dataclass(frozen=True)
class Mail:
    id: int
    created_at: int
    to_addr: str
    subject: str
    body: str
    attempts: int
    next_attempt_at: int | None  # None once sent or given up
    sent_at: int | None
    last_error: str | None


def _mail(row: sqlite3.Row | tuple[object, ...]) -> Mail:
    return Mail(*row)  # type: ignore[arg-type]


class Outbox:
    def __init__(self, store: Store) -> None:
        self._tx = store.transactions
        self._clock = store.clock
        self._queued = _QUEUED.setdefault(store.transactions, asyncio.Event())

    async def enqueue(self, to: str, subject: str, body: str) -> int:
        """Queue a mail, due at once; returns its id."""
        if not to or "\n" in to or "\r" in to:
            raise ValueError("enqueue: a mail needs one recipient address")
        now = self._clock()

        def work(db: sqlite3.Connection) -> int:
            cursor = db.execute(
                "INSERT INTO outbox (created_at, to_addr, subject, body, next_attempt_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (now, to, subject, body, now),
            )
            mail_id: int = cursor.fetchone()[0]
            return mail_id

        mail_id = await self._tx.run_write(work)
        self._queued.set()
        return mail_id

    async def wait_queued(self, seconds: float) -> None:
        """Return when a mail was queued since the last call, or after ``seconds``."""
        try:
            async with asyncio.timeout(seconds):
                await self._queued.wait()
        except TimeoutError:
            pass
        self._queued.clear()

    async def due(self, limit: int) -> list[Mail]:
        """Up to ``limit`` unsent mails whose time has come, oldest first, claimed for
        :data:`CLAIM_SECONDS` in the same transaction."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> list[Mail]:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE sent_at IS NULL"
                " AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?"
                " ORDER BY next_attempt_at, id LIMIT ?",
                (now, limit),
            ).fetchall()
            db.executemany(
                "UPDATE outbox SET next_attempt_at = ? WHERE id = ?",
                [(now + CLAIM_SECONDS, row[0]) for row in rows],
            )
            return [_mail(row) for row in rows]

        return await self._tx.run_write(work)

    async def mark_sent(self, mail_id: int) -> bool:
        return await self._update(
            "UPDATE outbox SET sent_at = ?, attempts = attempts + 1, next_attempt_at = NULL,"
            " last_error = NULL WHERE id = ? AND sent_at IS NULL",
            (self._clock(), mail_id),
        )

    async def mark_failed(self, mail_id: int, error: str, retry_at: int | None) -> bool:
        """One more failed attempt; ``retry_at`` None gives the mail up for good."""
        return await self._update(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
            " WHERE id = ? AND sent_at IS NULL",
            (error[:500], retry_at, mail_id),
        )

    async def get(self, mail_id: int) -> Mail | None:
        def work(db: sqlite3.Connection) -> Mail | None:
            row = db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (mail_id,)).fetchone()
            return _mail(row) if row else None

        return await self._tx.run_read(work)

    async def _update(self, sql: str, args: tuple[object, ...]) -> bool:
        return bool(await self._tx.run_write(lambda db: db.execute(sql, args).rowcount == 1))
