"""Contact details a holder changes on お客様情報 (the email address), with an audit line."""

from __future__ import annotations

from db.store import Store


def _masked_email(email: str | None) -> str:
    if not email:
        return "(none)"
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


class Profiles:
    def __init__(self, store: Store) -> None:
        self._tx = store.transactions
        self._clock = store.clock

    async def set_email(self, holder_id: int, email: str, session_ref: str, ip: str) -> bool:
        """Register or replace the holder's email; False if the holder is gone."""
        async with self._tx.write() as db:
            async with db.execute("SELECT email FROM holders WHERE id = ?", (holder_id,)) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return False
            # A new address is not proven by a code (yet): no mail goes to it.
            await db.execute(
                "UPDATE holders SET email = ?, email_confirmed_at = NULL WHERE id = ?",
                (email, holder_id),
            )
            detail = (
                f"old {_masked_email(row['email'])} new {_masked_email(email)}"
                f" session {session_ref}"
            )
            await db.execute(
                "INSERT INTO audit_log (at, holder_id, event, detail, ip)"
                " VALUES (?, ?, 'email_changed', ?, ?)",
                (self._clock(), holder_id, detail, ip),
            )
        return True
