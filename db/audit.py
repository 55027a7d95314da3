"""The audit trail: every login, number change and cancellation, for operations."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from callauth.db.clock import Clock
from callauth.db.connection import Transactions
from callauth.db.rows import add_audit


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: int
    holder_id: int | None
    event: str
    detail: str
    ip: str


class AuditQueries:
    _tx: Transactions
    clock: Clock

    async def audit(
        self, holder_id: int | None, event: str, detail: str = "", ip: str = ""
    ) -> None:
        now = self.clock()
        await self._tx.run_write(lambda db: add_audit(db, now, holder_id, event, detail, ip))

    async def audit_entries(
        self, holder_id: int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        where, args = ("WHERE holder_id = ?", (holder_id, limit)) if holder_id else ("", (limit,))

        def work(db: sqlite3.Connection) -> list[AuditEntry]:
            rows = db.execute(f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ?", args)
            return [AuditEntry(**dict(row)) for row in rows]

        return await self._tx.run_read(work)
