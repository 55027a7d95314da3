"""Rows of the phone-change repository (``db.phone_changes``) and its audit lines."""

from __future__ import annotations

import enum
import sqlite3
from dataclasses import dataclass

from callauth.db.rows import add_audit


class ChangeState(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_CALL = "awaiting_call"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class NewPhoneChange:
    holder_id: int
    contract_id: int
    party: str  # holder | insured (when the insured is the holder)
    old_phone_e164: str | None
    new_phone_e164: str
    change_date: str
    session_ref: str
    ip: str


@dataclass(frozen=True)
class PhoneChange(NewPhoneChange):
    id: int
    state: ChangeState
    challenge_id: int | None
    created_at: int
    expires_at: int | None
    completed_at: int | None


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
