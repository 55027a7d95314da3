"""Contact details a holder changes on お客様情報 (the email address), with an audit line."""

from __future__ import annotations

import sqlite3

from callauth.db.email_confirmations import masked_email
from callauth.db.rows import add_audit
from callauth.db.store import Store


class Profiles:
    def __init__(self, store: Store) -> None:
        self._tx = store.transactions
        self._clock = store.clock

    async def set_email(self, holder_id: int, email: str, session_ref: str, ip: str) -> bool:
        """Register or replace the holder's email; False if the holder is gone."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT email FROM holders WHERE id = ?", (holder_id,)).fetchone()
            if row is None:
                return False
            # A new address is not proven by a code (yet): no mail goes to it.
            db.execute(
                "UPDATE holders SET email = ?, email_confirmed_at = NULL WHERE id = ?",
                (email, holder_id),
            )
            detail = (
                f"old {masked_email(row['email'])} new {masked_email(email)} session {session_ref}"
            )
            add_audit(db, now, holder_id, "email_changed", detail, ip)
            return True

        return await self._tx.run_write(work)
