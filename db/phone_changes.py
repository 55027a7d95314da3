"""Phone-number change requests (異動): draft → awaiting_call → completed | expired | cancelled.

The new number takes effect only in :meth:`PhoneChanges.complete`, in the same transaction
that consumes the verified ``phone_change`` challenge; until then the old number stays in
force. Every step a holder would call a change is also written to the audit log.
"""

from __future__ import annotations

import aiosqlite

from db.challenge_units import CHALLENGE_COLUMNS, Chooser, challenge_row
from db.models import Challenge, ChallengeEvent, ChallengeState
from db.phone_change_rows import (
    COLUMNS,
    ChangeState,
    NewPhoneChange,
    PhoneChange,
    audit,
    change_row,
)
from db.store import Store

__all__ = ["ChangeState", "NewPhoneChange", "PhoneChange", "PhoneChanges"]


class PhoneChanges:
    def __init__(self, store: Store) -> None:
        self._tx = store.transactions
        self._clock = store.clock
        self._events = store.events

    async def draft(self, new: NewPhoneChange) -> PhoneChange:
        """A draft (nothing changes yet); the holder's older drafts are dropped."""
        async with self._tx.write() as db:
            await db.execute(
                "UPDATE phone_changes SET state = 'cancelled' WHERE holder_id = ? AND state = 'draft'",
                (new.holder_id,),
            )
            async with db.execute(
                "INSERT INTO phone_changes (holder_id, contract_id, party, old_phone_e164,"
                " new_phone_e164, change_date, session_ref, ip, created_at)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}",
                (new.holder_id, new.contract_id, new.party, new.old_phone_e164,
                 new.new_phone_e164, new.change_date, new.session_ref, new.ip, self._clock()),
            ) as cursor:  # fmt: skip
                row = await cursor.fetchone()
        assert row is not None
        return change_row(row)

    async def get(self, change_id: int) -> PhoneChange | None:
        async with self._tx.read() as db:
            async with db.execute(
                f"SELECT {COLUMNS} FROM phone_changes WHERE id = ?", (change_id,)
            ) as cursor:
                row = await cursor.fetchone()
        return change_row(row) if row else None

    async def awaiting_of(self, holder_id: int) -> PhoneChange | None:
        """The holder's change still waiting for its call, if any."""
        async with self._tx.read() as db:
            async with db.execute(
                f"SELECT {COLUMNS} FROM phone_changes WHERE holder_id = ?"
                " AND state = 'awaiting_call' AND expires_at > ? ORDER BY id DESC LIMIT 1",
                (holder_id, self._clock()),
            ) as cursor:
                row = await cursor.fetchone()
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
        async with self._tx.write() as db:
            change = await self._move(db, change_id, ChangeState.DRAFT, ChangeState.AWAITING_CALL)
            if change is None:
                return None
            stale = await self._cancel_awaiting(db, change.holder_id, now, but=change_id)
            challenge, recoded = await self._new_challenge(db, change, choose, now, ttl, history)
            async with db.execute(
                "UPDATE phone_changes SET challenge_id = ?, expires_at = ? WHERE id = ?"
                f" RETURNING {COLUMNS}",
                (challenge.id, challenge.expires_at, change_id),
            ) as cursor:
                row = await cursor.fetchone()
            assert row is not None
            change = change_row(row)
            await audit(db, change, "phone_change_requested", now)
        self._publish(stale, ChallengeState.CANCELLED)
        for challenge_id in recoded:
            self._events.publish(ChallengeEvent(challenge_id, "code_assigned"))
        return change, challenge

    @staticmethod
    async def _new_challenge(
        db: aiosqlite.Connection, change: PhoneChange, choose: Chooser, now: int, ttl: int,
        history: int,
    ) -> tuple[Challenge, list[int]]:  # fmt: skip
        async with db.execute(
            f"SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE phone_e164 = ? AND created_at > ?",
            (change.new_phone_e164, now - history),
        ) as cursor:
            shown = [challenge_row(tuple(row)) async for row in cursor]
        number, code, recoded = choose(shown)
        for challenge_id, recode in recoded.items():
            await db.execute(
                "UPDATE challenges SET code = ? WHERE id = ? AND state = 'pending' AND code IS NULL",
                (recode, challenge_id),
            )
        async with db.execute(
            "INSERT INTO challenges (holder_id, session_ref, phone_e164, auth_number,"
            " created_at, expires_at, kind, code) VALUES (?, ?, ?, ?, ?, ?, 'phone_change', ?)"
            f" RETURNING {CHALLENGE_COLUMNS}",
            (change.holder_id, change.session_ref, change.new_phone_e164, number, now,
             now + ttl, code),
        ) as cursor:  # fmt: skip
            row = await cursor.fetchone()
        assert row is not None
        return challenge_row(tuple(row)), list(recoded)

    async def complete(self, challenge_id: int) -> PhoneChange | None:
        """The call from the new number verified this challenge: the new number takes effect.

        None when the challenge is no verified ``phone_change`` one (a login's, say).
        """
        now = self._clock()
        async with self._tx.write() as db:
            async with db.execute(
                "UPDATE phone_changes SET state = 'completed', completed_at = ?"
                " WHERE challenge_id = ? AND state = 'awaiting_call' AND EXISTS (SELECT 1"
                " FROM challenges WHERE id = ? AND state = 'verified' AND kind = 'phone_change')"
                f" RETURNING {COLUMNS}",
                (now, challenge_id, challenge_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            change = change_row(row)
            await db.execute(
                "UPDATE challenges SET state = 'consumed' WHERE id = ?", (challenge_id,)
            )
            logins = await self._switch_number(db, change)
            await audit(db, change, "phone_change_completed", now)
        self._publish([challenge_id], ChallengeState.CONSUMED)
        self._publish(logins, ChallengeState.CANCELLED)
        return change

    async def _switch_number(self, db: aiosqlite.Connection, change: PhoneChange) -> list[int]:
        """Holder's number, and the insured's where they are the same person; the old
        number's pending logins end (a call from it no longer proves anything)."""
        await db.execute(
            "UPDATE holders SET phone_e164 = ? WHERE id = ?",
            (change.new_phone_e164, change.holder_id),
        )
        await db.execute(
            "UPDATE contracts SET insured_phone_e164 = ?"
            " WHERE holder_id = ? AND insured_same_as_holder = 1",
            (change.new_phone_e164, change.holder_id),
        )
        if change.old_phone_e164 is None:
            return []
        async with db.execute(
            "UPDATE challenges SET state = 'cancelled' WHERE holder_id = ? AND kind = 'login'"
            " AND phone_e164 = ? AND state = 'pending' RETURNING id",
            (change.holder_id, change.old_phone_e164),
        ) as cursor:
            return [row[0] async for row in cursor]

    async def cancel(self, change_id: int) -> bool:
        """draft or awaiting_call → cancelled (with its challenge); the old number stays."""
        now = self._clock()
        async with self._tx.write() as db:
            change = await self._move(db, change_id, ChangeState.DRAFT, ChangeState.CANCELLED)
            if change is None:
                change = await self._move(
                    db, change_id, ChangeState.AWAITING_CALL, ChangeState.CANCELLED
                )
                if change is None:
                    return False
                await audit(db, change, "phone_change_cancelled", now)
            challenges = await self._cancel_challenges(db, [change.challenge_id])
        self._publish(challenges, ChallengeState.CANCELLED)
        return True

    async def expire_due(self) -> list[PhoneChange]:
        """awaiting_call → expired once the call's time is up and no call verified it."""
        now = self._clock()
        async with self._tx.write() as db:
            async with db.execute(
                "UPDATE phone_changes SET state = 'expired'"
                " WHERE state = 'awaiting_call' AND expires_at <= ? AND challenge_id IN"
                " (SELECT id FROM challenges WHERE state IN ('pending', 'expired', 'cancelled'))"
                f" RETURNING {COLUMNS}",
                (now,),
            ) as cursor:
                expired = [change_row(row) async for row in cursor]
            for change in expired:
                await audit(db, change, "phone_change_expired", now)
        return expired

    async def verified_waiting(self) -> list[int]:
        """Challenges verified by a call whose change is not applied yet (a crash between)."""
        async with self._tx.read() as db:
            async with db.execute(
                "SELECT c.id FROM phone_changes p JOIN challenges c ON c.id = p.challenge_id"
                " WHERE p.state = 'awaiting_call' AND c.state = 'verified'"
            ) as cursor:
                return [row[0] async for row in cursor]

    async def _move(
        self, db: aiosqlite.Connection, change_id: int, old: ChangeState, new: ChangeState
    ) -> PhoneChange | None:
        async with db.execute(
            f"UPDATE phone_changes SET state = ? WHERE id = ? AND state = ? RETURNING {COLUMNS}",
            (new.value, change_id, old.value),
        ) as cursor:
            row = await cursor.fetchone()
        return change_row(row) if row else None

    async def _cancel_awaiting(
        self, db: aiosqlite.Connection, holder_id: int, now: int, but: int
    ) -> list[int]:
        async with db.execute(
            "UPDATE phone_changes SET state = 'cancelled'"
            f" WHERE holder_id = ? AND state = 'awaiting_call' AND id != ? RETURNING {COLUMNS}",
            (holder_id, but),
        ) as cursor:
            stale = [change_row(row) async for row in cursor]
        for change in stale:
            await audit(db, change, "phone_change_cancelled", now)
        return await self._cancel_challenges(db, [c.challenge_id for c in stale])

    async def _cancel_challenges(
        self, db: aiosqlite.Connection, ids: list[int | None]
    ) -> list[int]:
        cancelled = []
        for challenge_id in ids:
            cursor = await db.execute(
                "UPDATE challenges SET state = 'cancelled' WHERE id = ? AND state = 'pending'",
                (challenge_id,),
            )
            if cursor.rowcount == 1 and challenge_id is not None:
                cancelled.append(challenge_id)
        return cancelled

    def _publish(self, challenge_ids: list[int], state: ChallengeState) -> None:
        for challenge_id in challenge_ids:
            self._events.publish(ChallengeEvent(challenge_id, state.value))
