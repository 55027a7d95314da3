"""Rows of the phone-change repository (``db.phone_changes``) and its audit lines."""

from __future__ import annotations

import sqlite3

from callauth.db.models import ChangeState, PhoneChange
from callauth.db.rows import add_audit

__all__ = ["COLUMNS", "audit", "change_row"]


COLUMNS = (
    "id, holder_id, contract_id, party, old_phone_e164, new_phone_e164, change_date, state,"
    " challenge_id, session_ref, ip, created_at, expires_at, completed_at"
)


def change_row(row: sqlite3.Row) -> PhoneChange:
    values = dict(row)
    values["state"] = ChangeState(values["state"])
    return PhoneChange(**values)


def _tail(e164: str | None) -> str:
    # db/ sits below the phone policy, so it masks on its own: last 4 digits only.
    return f"***{e164[-4:]}" if e164 else "(none)"


def audit(db: sqlite3.Connection, change: PhoneChange, event: str, at: int) -> None:
    detail = (
        f"request {change.id} contract {change.contract_id} party {change.party}"
        f" old {_tail(change.old_phone_e164)} new {_tail(change.new_phone_e164)}"
        f" session {change.session_ref}"
    )
    add_audit(db, at, change.holder_id, event, detail, change.ip)
