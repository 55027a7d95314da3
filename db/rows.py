"""Row mapping shared by the repositories, and the one audit-trail INSERT."""

from __future__ import annotations

import dataclasses
import operator
import sqlite3
from collections.abc import Iterable

from callauth.db.models import Contract, EndedBy, Holder, NewCall

CALL_FIELDS = [f.name for f in dataclasses.fields(NewCall)]
#: A NewCall's values in column order (cheaper than dataclasses.astuple on the hot path).
call_values = operator.attrgetter(*CALL_FIELDS)
INSERT_CALL = (
    f"INSERT INTO calls ({', '.join(CALL_FIELDS)}) VALUES ({', '.join('?' * len(CALL_FIELDS))})"
    " RETURNING id"
)


def holder_row(row: sqlite3.Row) -> Holder:
    values = dict(row)
    values.pop("created_at", None)
    return Holder(**values)


def contract_row(row: sqlite3.Row) -> Contract:
    values = dict(row)
    values["insured_same_as_holder"] = bool(values["insured_same_as_holder"])
    values["changeable_online"] = bool(values["changeable_online"])
    return Contract(**values)


def add_audit(
    db: sqlite3.Connection, at: int, holder_id: int | None, event: str, detail: str = "",
    ip: str = "",
) -> None:  # fmt: skip
    db.execute(
        "INSERT INTO audit_log (at, holder_id, event, detail, ip) VALUES (?, ?, ?, ?, ?)",
        (at, holder_id, event, detail, ip),
    )


def audit_ended(
    db: sqlite3.Connection, at: int, ended: Iterable[tuple[int, int | None, EndedBy]]
) -> None:
    """Every cancellation of a login goes to the audit trail (holder looked up if None)."""
    for challenge_id, holder_id, why in ended:
        db.execute(
            "INSERT INTO audit_log (at, holder_id, event, detail) VALUES (?,"
            " coalesce(?, (SELECT holder_id FROM challenges WHERE id = ?)), ?, ?)",
            (at, holder_id, challenge_id, "challenge_cancelled", f"challenge {challenge_id} {why}"),
        )
