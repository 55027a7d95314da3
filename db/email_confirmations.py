"""E-mail addresses proven by a code sent to them: pending → confirmed | expired | locked
| cancelled. ``holders.email`` changes only in :meth:`EmailConfirmations.confirm`, in the
same transaction that checks the code; every step is in the audit log, address masked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3

from callauth.db.models import ConfirmOutcome, ConfirmResult, Origin, PendingEmail
from callauth.db.store import Store

__all__ = [
    "ConfirmOutcome", "ConfirmResult", "EmailConfirmations", "Origin", "PendingEmail",
    "masked_email",
]  # fmt: skip

#: How far back :meth:`EmailConfirmations.start` counts the codes a holder was sent.
SEND_WINDOW = 3600

_COLUMNS = "id, holder_id, email, created_at, expires_at, tries, state, code_hash, salt"


def masked_email(email: str | None) -> str:
    """An address safe for logs: its first character and domain (``t***@example.jp``)."""
    if not email:
        return "(none)"
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _digest(salt: str, code: str) -> str:
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


def _pending(row: sqlite3.Row | tuple[object, ...]) -> PendingEmail:
    return PendingEmail(*tuple(row)[:7])


class EmailConfirmations:
    def __init__(self, store: Store) -> None:
        self._tx = store.transactions
        self._clock = store.clock

    async def start(
        self, holder_id: int, email: str, code: str, ttl: int, max_sends: int, origin: Origin
    ) -> PendingEmail | None:
        """A new pending address with ``code`` (the holder's older pending one ends);
        None when the holder was sent ``max_sends`` codes within :data:`SEND_WINDOW`."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> PendingEmail | None:
            sent = db.execute(
                "SELECT count(*) FROM email_confirmations WHERE holder_id = ? AND created_at > ?",
                (holder_id, now - SEND_WINDOW),
            ).fetchone()[0]
            if sent >= max_sends:
                _audit(db, now, holder_id, "email_confirmation_refused",
                       f"{masked_email(email)} {sent} codes sent within {SEND_WINDOW} s", origin)  # fmt: skip
                return None
            db.execute(
                "UPDATE email_confirmations SET state = 'cancelled'"
                " WHERE holder_id = ? AND state = 'pending'",
                (holder_id,),
            )
            salt = secrets.token_hex(16)
            row = db.execute(
                "INSERT INTO email_confirmations (holder_id, email, code_hash, salt, created_at,"
                f" expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
                (holder_id, email, _digest(salt, code), salt, now, now + ttl),
            ).fetchone()
            _audit(db, now, holder_id, "email_confirmation_sent", masked_email(email), origin)
            return _pending(row)

        return await self._tx.run_write(work)

    async def pending_of(self, holder_id: int) -> PendingEmail | None:
        """The holder's address still waiting for its code, if its time is not up."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> PendingEmail | None:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM email_confirmations WHERE holder_id = ?"
                " AND state = 'pending' AND expires_at > ? ORDER BY id DESC LIMIT 1",
                (holder_id, now),
            ).fetchone()
            return _pending(row) if row else None

        return await self._tx.run_read(work)

    async def confirm(
        self, holder_id: int, code: str, max_tries: int, origin: Origin
    ) -> ConfirmResult:
        """Check ``code`` against the holder's latest address: the count, the compare and
        the update are one transaction, so parallel guesses cannot exceed ``max_tries``."""
        now = self._clock()
        return await self._tx.run_write(
            lambda db: _confirm(db, now, holder_id, code, max_tries, origin)
        )

    async def mark_confirmed(self, holder_id: int, reason: str) -> bool:
        """Take the holder's current address as proven without a code (demo data)."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> bool:
            changed = db.execute(
                "UPDATE holders SET email_confirmed_at = ? WHERE id = ? AND email IS NOT NULL",
                (now, holder_id),
            ).rowcount
            if changed:
                _audit(db, now, holder_id, "email_confirmed", reason, Origin("-", ""))
            return bool(changed)

        return await self._tx.run_write(work)


def _confirm(
    db: sqlite3.Connection, now: int, holder_id: int, code: str, max_tries: int, origin: Origin
) -> ConfirmResult:
    row = db.execute(
        f"SELECT {_COLUMNS} FROM email_confirmations WHERE holder_id = ? ORDER BY id DESC LIMIT 1",
        (holder_id,),
    ).fetchone()
    if row is None or row["state"] in ("confirmed", "cancelled"):
        return ConfirmResult(ConfirmOutcome.NONE, 0, None)
    email, masked = row["email"], masked_email(row["email"])
    if row["state"] == "locked":
        return ConfirmResult(ConfirmOutcome.LOCKED, 0, email)
    if row["state"] == "expired" or row["expires_at"] <= now:
        db.execute("UPDATE email_confirmations SET state = 'expired' WHERE id = ?", (row["id"],))
        _audit(db, now, holder_id, "email_confirmation_expired", masked, origin)
        return ConfirmResult(ConfirmOutcome.EXPIRED, 0, email)
    if not hmac.compare_digest(_digest(row["salt"], code), row["code_hash"]):
        tries = row["tries"] + 1
        state = "locked" if tries >= max_tries else "pending"
        db.execute(
            "UPDATE email_confirmations SET tries = ?, state = ? WHERE id = ?",
            (tries, state, row["id"]),
        )
        event = "email_confirmation_locked" if state == "locked" else "email_confirmation_failed"
        _audit(db, now, holder_id, event, f"{masked} try {tries}/{max_tries}", origin)
        outcome = ConfirmOutcome.LOCKED if state == "locked" else ConfirmOutcome.WRONG_CODE
        return ConfirmResult(outcome, max_tries - tries, email)
    old = db.execute("SELECT email FROM holders WHERE id = ?", (holder_id,)).fetchone()
    db.execute(
        "UPDATE email_confirmations SET state = 'confirmed', confirmed_at = ? WHERE id = ?",
        (now, row["id"]),
    )
    db.execute(
        "UPDATE holders SET email = ?, email_confirmed_at = ? WHERE id = ?",
        (email, now, holder_id),
    )
    detail = f"old {masked_email(old[0] if old else None)} new {masked} confirmed by code"
    _audit(db, now, holder_id, "email_changed", detail, origin)
    return ConfirmResult(ConfirmOutcome.CONFIRMED, max_tries - row["tries"], email)


def _audit(
    db: sqlite3.Connection, now: int, holder_id: int, event: str, detail: str, origin: Origin
) -> None:
    db.execute(
        "INSERT INTO audit_log (at, holder_id, event, detail, ip) VALUES (?, ?, ?, ?, ?)",
        (now, holder_id, event, f"{detail} session {origin.session_ref}", origin.ip),
    )
