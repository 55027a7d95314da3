"""Phone-number change requests (異動): draft → awaiting_call → completed | expired | cancelled.

The new number takes effect only in :meth:`PhoneChanges.complete`, in the same transaction
that consumes the verified ``phone_change`` challenge; until then the old number stays in
force. Every step a holder would call a change is also written to the audit log. Each
method is one transaction in one hop (``Transactions.run_write`` / ``run_read``).
"""

from __future__ import annotations

import sqlite3

from callauth.db import challenge_units as units
from callauth.db.challenge_units import Chooser, NewChallenge
from callauth.db.models import (
    Challenge,
    ChallengeKind,
    ChallengeState,
    ChangeState,
    EventKind,
    NewPhoneChange,
    PhoneChange,
)
from callauth.db.phone_change_rows import COLUMNS, audit, change_row
from callauth.db.store import Store


class PhoneChanges:
    def __init__(self, store: Store) -> None:
        self._tx = store.transactions
        self._clock = store.clock
        self._events = store.events

    async def draft(self, new: NewPhoneChange) -> PhoneChange:
        """A draft (nothing changes yet); the holder's older drafts are dropped."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> PhoneChange:
            db.execute(
                "UPDATE phone_changes SET state = 'cancelled' WHERE holder_id = ? AND state = 'draft'",
                (new.holder_id,),
            )
            row = db.execute(
                "INSERT INTO phone_changes (holder_id, contract_id, party, old_phone_e164,"
                " new_phone_e164, change_date, session_ref, ip, created_at)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}",
                (new.holder_id, new.contract_id, new.party, new.old_phone_e164,
                 new.new_phone_e164, new.change_date, new.session_ref, new.ip, now),
            ).fetchone()  # fmt: skip
            return change_row(row)

        return await self._tx.run_write(work)

    async def get(self, change_id: int) -> PhoneChange | None:
        return await self._one(f"SELECT {COLUMNS} FROM phone_changes WHERE id = ?", (change_id,))

    async def awaiting_of(self, holder_id: int) -> PhoneChange | None:
        """The holder's change still waiting for its call, if any."""
        return await self._one(
            f"SELECT {COLUMNS} FROM phone_changes WHERE holder_id = ?"
            " AND state = 'awaiting_call' AND expires_at > ? ORDER BY id DESC LIMIT 1",
            (holder_id, self._clock()),
        )

    async def _one(self, sql: str, args: tuple[object, ...]) -> PhoneChange | None:
        row = await self._tx.run_read(lambda db: db.execute(sql, args).fetchone())
        return change_row(row) if row else None

    async def await_call(
        self, change_id: int, choose: Chooser, ttl: int, history: int
    ) -> tuple[PhoneChange, Challenge] | None:
        """draft → awaiting_call with a ``phone_change`` challenge on the new number, on the
        number (and code) ``choose`` picks from the new phone's challenges of the last
        ``history`` seconds, read in the same transaction.

        The holder's other change waiting for a call is cancelled: one at a time.
        """
        now = self._clock()

        def work(db: sqlite3.Connection) -> tuple[PhoneChange, units.Created, list[int]] | None:
            change = _move(db, change_id, ChangeState.DRAFT, ChangeState.AWAITING_CALL)
            if change is None:
                return None
            stale = _cancel_awaiting(db, change.holder_id, now, but=change_id)
            new = NewChallenge(change.holder_id, change.session_ref, change.new_phone_e164, ttl,
                               ChallengeKind.PHONE_CHANGE)  # fmt: skip
            created = units.create(db, new, choose, now=now, history_since=now - history,
                                   max_live=0)  # fmt: skip
            assert created.challenge is not None  # only a reissue is ever refused
            row = db.execute(
                "UPDATE phone_changes SET challenge_id = ?, expires_at = ? WHERE id = ?"
                f" RETURNING {COLUMNS}",
                (created.challenge.id, created.challenge.expires_at, change_id),
            ).fetchone()
            change = change_row(row)
            audit(db, change, "phone_change_requested", now)
            return change, created, stale

        done = await self._tx.run_write(work)
        if done is None:
            return None
        change, created, stale = done
        self._events.tell(ChallengeState.CANCELLED, stale)
        self._events.tell(EventKind.CODE_ASSIGNED, created.recoded)
        assert created.challenge is not None
        return change, created.challenge

    async def complete(self, challenge_id: int) -> PhoneChange | None:
        """The call from the new number verified this challenge: the new number takes effect.

        None when the challenge is no verified ``phone_change`` one (a login's, say).
        """
        now = self._clock()

        def work(db: sqlite3.Connection) -> tuple[PhoneChange, list[int]] | None:
            row = db.execute(
                "UPDATE phone_changes SET state = 'completed', completed_at = ?"
                " WHERE challenge_id = ? AND state = 'awaiting_call' AND EXISTS (SELECT 1"
                " FROM challenges WHERE id = ? AND state = 'verified' AND kind = 'phone_change')"
                f" RETURNING {COLUMNS}",
                (now, challenge_id, challenge_id),
            ).fetchone()
            if row is None:
                return None
            change = change_row(row)
            db.execute("UPDATE challenges SET state = 'consumed' WHERE id = ?", (challenge_id,))
            logins = _switch_number(db, change)
            audit(db, change, "phone_change_completed", now)
            return change, logins

        done = await self._tx.run_write(work)
        if done is None:
            return None
        change, logins = done
        self._events.tell(ChallengeState.CONSUMED, [challenge_id])
        self._events.tell(ChallengeState.CANCELLED, logins)
        return change

    async def cancel(self, change_id: int) -> bool:
        """draft or awaiting_call → cancelled (with its challenge); the old number stays."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> list[int] | None:
            change = _move(db, change_id, ChangeState.DRAFT, ChangeState.CANCELLED)
            if change is None:
                change = _move(db, change_id, ChangeState.AWAITING_CALL, ChangeState.CANCELLED)
                if change is None:
                    return None
                audit(db, change, "phone_change_cancelled", now)
            return _cancel_challenges(db, [change.challenge_id])

        cancelled = await self._tx.run_write(work)
        if cancelled is None:
            return False
        self._events.tell(ChallengeState.CANCELLED, cancelled)
        return True

    async def expire_due(self) -> list[PhoneChange]:
        """awaiting_call → expired once the call's time is up and no call verified it."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> list[PhoneChange]:
            rows = db.execute(
                "UPDATE phone_changes SET state = 'expired'"
                " WHERE state = 'awaiting_call' AND expires_at <= ? AND challenge_id IN"
                " (SELECT id FROM challenges WHERE state IN ('pending', 'expired', 'cancelled'))"
                f" RETURNING {COLUMNS}",
                (now,),
            ).fetchall()
            expired = [change_row(row) for row in rows]
            for change in expired:
                audit(db, change, "phone_change_expired", now)
            return expired

        return await self._tx.run_write(work)

    async def verified_waiting(self) -> list[int]:
        """Challenges verified by a call whose change is not applied yet (a crash between)."""
        rows = await self._tx.run_read(
            lambda db: db.execute(
                "SELECT c.id FROM phone_changes p JOIN challenges c ON c.id = p.challenge_id"
                " WHERE p.state = 'awaiting_call' AND c.state = 'verified'"
            ).fetchall()
        )
        return [row[0] for row in rows]


def _move(
    db: sqlite3.Connection, change_id: int, old: ChangeState, new: ChangeState
) -> PhoneChange | None:
    row = db.execute(
        f"UPDATE phone_changes SET state = ? WHERE id = ? AND state = ? RETURNING {COLUMNS}",
        (new.value, change_id, old.value),
    ).fetchone()
    return change_row(row) if row else None


def _switch_number(db: sqlite3.Connection, change: PhoneChange) -> list[int]:
    """Holder's number, and the insured's where they are the same person; the old
    number's pending logins end (a call from it no longer proves anything)."""
    db.execute(
        "UPDATE holders SET phone_e164 = ? WHERE id = ?", (change.new_phone_e164, change.holder_id)
    )
    db.execute(
        "UPDATE contracts SET insured_phone_e164 = ?"
        " WHERE holder_id = ? AND insured_same_as_holder = 1",
        (change.new_phone_e164, change.holder_id),
    )
    if change.old_phone_e164 is None:
        return []
    rows = db.execute(
        "UPDATE challenges SET state = 'cancelled' WHERE holder_id = ? AND kind = 'login'"
        " AND phone_e164 = ? AND state = 'pending' RETURNING id",
        (change.holder_id, change.old_phone_e164),
    ).fetchall()
    return [row[0] for row in rows]


def _cancel_awaiting(db: sqlite3.Connection, holder_id: int, now: int, but: int) -> list[int]:
    rows = db.execute(
        "UPDATE phone_changes SET state = 'cancelled'"
        f" WHERE holder_id = ? AND state = 'awaiting_call' AND id != ? RETURNING {COLUMNS}",
        (holder_id, but),
    ).fetchall()
    stale = [change_row(row) for row in rows]
    for change in stale:
        audit(db, change, "phone_change_cancelled", now)
    return _cancel_challenges(db, [c.challenge_id for c in stale])


def _cancel_challenges(db: sqlite3.Connection, ids: list[int | None]) -> list[int]:
    cancelled = []
    for challenge_id in ids:
        if challenge_id is not None and units.cancel(db, challenge_id, None):
            cancelled.append(challenge_id)
    return cancelled
