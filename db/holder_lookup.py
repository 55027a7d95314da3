"""The console's holder search and the rows one holder's page shows, each in one read."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from callauth.db.audit import AuditEntry
from callauth.db.models import Holder, PhoneChange
from callauth.db.phone_change_rows import COLUMNS as CHANGE_COLUMNS
from callauth.db.phone_change_rows import change_row
from callauth.db.store import Store

#: A search names at most this many holders.
SEARCH_LIMIT = 50
_HOLDER_COLUMNS = "id, login_id, password_hash, name, kana, birth_date, email, phone_e164"


@dataclass(frozen=True)
class Found:
    holder: Holder
    policies: tuple[str, ...]
    why: str  # login_id | policy_number | last_digits


@dataclass(frozen=True)
class CallRow:
    received_at: int
    cli_e164: str | None
    presentation: str
    dialled_e164: str | None
    outcome: str
    reason: str
    hangup_cause: int | None


@dataclass(frozen=True)
class HolderFile:
    holder: Holder
    policies: tuple[str, ...]
    logins: tuple[AuditEntry, ...]  # login_* and logout lines, newest first
    calls: tuple[CallRow, ...]  # from its numbers or tied to its challenges, newest first
    pending_changes: tuple[PhoneChange, ...]


def _holder(row: sqlite3.Row | tuple[object, ...]) -> Holder:
    return Holder(*row)  # type: ignore[arg-type]


def _policies(db: sqlite3.Connection, holder_id: int) -> tuple[str, ...]:
    rows = db.execute(
        "SELECT policy_number FROM contracts WHERE holder_id = ? ORDER BY policy_number",
        (holder_id,),
    )
    return tuple(row[0] for row in rows)


class HolderLookup:
    def __init__(self, store: Store) -> None:
        self._tx = store.transactions

    async def search(self, query: str) -> list[Found]:
        """By login ID (exact or a prefix), policy number (exact) or, for 4 digits, the
        last 4 digits of the holder's or an insured's number."""
        query = query.strip()
        if not query:
            return []

        def work(db: sqlite3.Connection) -> list[Found]:
            found: dict[int, Found] = {}

            def add(sql: str, args: tuple[object, ...], why: str) -> None:
                for row in db.execute(f"{sql} LIMIT {SEARCH_LIMIT}", args):
                    holder = _holder(row)
                    if holder.id not in found and len(found) < SEARCH_LIMIT:
                        found[holder.id] = Found(holder, _policies(db, holder.id), why)

            h = f"SELECT {_HOLDER_COLUMNS} FROM holders"
            add(f"{h} WHERE login_id = ?", (query,), "login_id")
            add(f"{h} WHERE id IN (SELECT holder_id FROM contracts WHERE policy_number = ?)",
                (query,), "policy_number")  # fmt: skip
            if re.fullmatch(r"\d{4}", query):
                like = f"%{query}"
                add(f"{h} WHERE phone_e164 LIKE ? OR id IN (SELECT holder_id FROM contracts"
                    " WHERE insured_phone_e164 LIKE ?) ORDER BY login_id", (like, like),
                    "last_digits")  # fmt: skip
            escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            # lower() both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
            add(f"{h} WHERE lower(login_id) LIKE lower(?) ESCAPE '\\' ORDER BY login_id",
                (escaped + "%",), "login_id")  # fmt: skip
            return list(found.values())

        return await self._tx.run_read(work)

    async def holder_file(self, holder_id: int, limit: int = 20) -> HolderFile | None:
        def work(db: sqlite3.Connection) -> HolderFile | None:
            row = db.execute(
                f"SELECT {_HOLDER_COLUMNS} FROM holders WHERE id = ?", (holder_id,)
            ).fetchone()
            if row is None:
                return None
            holder = _holder(row)
            logins = db.execute(
                "SELECT id, at, holder_id, event, detail, ip FROM audit_log WHERE holder_id = ?"
                " AND (event LIKE 'login%' OR event = 'logout') ORDER BY id DESC LIMIT ?",
                (holder_id, limit),
            ).fetchall()
            return HolderFile(
                holder,
                _policies(db, holder_id),
                tuple(AuditEntry(*r) for r in logins),
                _calls(db, holder, limit),
                _pending_changes(db, holder_id),
            )

        return await self._tx.run_read(work)


def _calls(db: sqlite3.Connection, holder: Holder, limit: int) -> tuple[CallRow, ...]:
    numbers = {holder.phone_e164} | {
        row[0]
        for row in db.execute(
            "SELECT insured_phone_e164 FROM contracts WHERE holder_id = ?"
            " AND insured_phone_e164 IS NOT NULL",
            (holder.id,),
        )
    }
    numbers.discard(None)
    marks = ",".join("?" * len(numbers)) or "NULL"
    rows = db.execute(
        "SELECT received_at, cli_e164, presentation, dialled_e164, outcome, reason, hangup_cause"
        f" FROM calls WHERE cli_e164 IN ({marks}) OR challenge_id IN"
        " (SELECT id FROM challenges WHERE holder_id = ?) ORDER BY id DESC LIMIT ?",
        (*numbers, holder.id, limit),
    )
    return tuple(CallRow(*row) for row in rows)


def _pending_changes(db: sqlite3.Connection, holder_id: int) -> tuple[PhoneChange, ...]:
    rows = db.execute(
        f"SELECT {CHANGE_COLUMNS} FROM phone_changes WHERE holder_id = ?"
        " AND state IN ('draft', 'awaiting_call') ORDER BY id DESC",
        (holder_id,),
    )
    return tuple(change_row(row) for row in rows)
