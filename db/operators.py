"""The insurer's operators: accounts, console sessions and their audit trail (migration 0010).

Operator sessions live in a table of their own, never in ``web_sessions``: a holder's
session key is no operator session and the other way round. A session row is found by
the SHA-256 of the cookie's key, so a copy of the database opens no console.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3

from callauth.db.console_models import Operator, OperatorAction, OperatorSession, Role
from callauth.db.store import Store

__all__ = ["Operator", "OperatorAction", "OperatorExists", "OperatorSession", "Operators", "Role"]


class OperatorExists(Exception):
    pass


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _operator(row: sqlite3.Row) -> Operator:
    return Operator(int(row[0]), str(row[1]), str(row[2]), Role(str(row[3])))


class Operators:
    def __init__(self, store: Store) -> None:
        self._tx = store.transactions
        self._clock = store.clock

    async def add(self, login: str, password_hash: str, role: Role) -> Operator:
        now = self._clock()

        def work(db: sqlite3.Connection) -> Operator:
            try:
                cursor = db.execute(
                    "INSERT INTO operators (login, password_hash, role, created_at)"
                    " VALUES (?, ?, ?, ?) RETURNING id",
                    (login, password_hash, role.value, now),
                )
            except sqlite3.IntegrityError as exc:  # PostgreSQL's too (db/pg_cursor.py)
                raise OperatorExists(login) from exc
            operator_id: int = cursor.fetchone()[0]
            _audit(
                db,
                now,
                None,
                "operator_added",
                None,
                f"{login} ({role.value}) by the command line",
                "",
            )
            return Operator(operator_id, login, password_hash, role)

        return await self._tx.run_write(work)

    async def by_login(self, login: str) -> Operator | None:
        def work(db: sqlite3.Connection) -> Operator | None:
            row = db.execute(
                "SELECT id, login, password_hash, role FROM operators WHERE login = ?", (login,)
            ).fetchone()
            return _operator(row) if row else None

        return await self._tx.run_read(work)

    async def start_session(self, operator: Operator, max_age: int, ip: str) -> str:
        """A new session for ``operator`` (audited as a login); returns the cookie's key."""
        key, now = secrets.token_urlsafe(32), self._clock()

        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO operator_sessions (key_hash, operator_id, csrf, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?)",
                (_key_hash(key), operator.id, secrets.token_urlsafe(32), now, now + max_age),
            )
            db.execute("DELETE FROM operator_sessions WHERE expires_at <= ?", (now,))
            _audit(db, now, operator.id, "login", None, "", ip)

        await self._tx.run_write(work)
        return key

    async def session(self, key: str, idle: int, lifetime: int) -> OperatorSession | None:
        """The live session of ``key``, its idle time renewed (never past ``lifetime``)."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> OperatorSession | None:
            row = db.execute(
                "SELECT o.id, o.login, o.password_hash, o.role, s.csrf, s.created_at"
                " FROM operator_sessions s JOIN operators o ON o.id = s.operator_id"
                " WHERE s.key_hash = ? AND s.expires_at > ? AND s.created_at > ?",
                (_key_hash(key), now, now - lifetime),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE operator_sessions SET expires_at = ? WHERE key_hash = ?",
                (now + idle, _key_hash(key)),
            )
            return OperatorSession(_operator(row), str(row[4]), int(row[5]))

        return await self._tx.run_write(work)

    async def end_session(self, key: str, operator_id: int, ip: str) -> None:
        now = self._clock()

        def work(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM operator_sessions WHERE key_hash = ?", (_key_hash(key),))
            _audit(db, now, operator_id, "logout", None, "", ip)

        await self._tx.run_write(work)

    async def audit(
        self, operator_id: int | None, action: str, holder_id: int | None, detail: str, ip: str
    ) -> None:
        now = self._clock()
        await self._tx.run_write(
            lambda db: _audit(db, now, operator_id, action, holder_id, detail, ip)
        )

    async def actions(self, limit: int = 200, holder_id: int | None = None) -> list[OperatorAction]:
        where = "WHERE a.holder_id = ?" if holder_id is not None else ""
        args = (holder_id, limit) if holder_id is not None else (limit,)

        def work(db: sqlite3.Connection) -> list[OperatorAction]:
            rows = db.execute(
                "SELECT a.at, coalesce(o.login, ''), a.action, a.holder_id, a.detail, a.ip"
                f" FROM operator_audit a LEFT JOIN operators o ON o.id = a.operator_id {where}"
                " ORDER BY a.id DESC LIMIT ?",
                args,
            )
            return [OperatorAction(*row) for row in rows]

        return await self._tx.run_read(work)


def _audit(
    db: sqlite3.Connection,
    at: int,
    operator_id: int | None,
    action: str,
    holder_id: int | None,
    detail: str,
    ip: str,
) -> None:
    db.execute(
        "INSERT INTO operator_audit (at, operator_id, action, holder_id, detail, ip)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (at, operator_id, action, holder_id, detail, ip),
    )
