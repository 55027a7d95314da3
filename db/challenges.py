"""Challenges: creating one (number, code, the holder's live logins), reading it, and
the guarded transitions a browser or the clock makes (consume, cancel, expire)."""

from __future__ import annotations

import sqlite3

from callauth.db import challenge_units as units
from callauth.db.challenge_units import (
    CHALLENGE_COLUMNS,
    Chooser,
    Created,
    NewChallenge,
    challenge_row,
)
from callauth.db.clock import Clock
from callauth.db.connection import Transactions
from callauth.db.events import ChallengeEvents
from callauth.db.models import Challenge, ChallengeState, EndedBy, EventKind
from callauth.db.rows import audit_ended


class ChallengeQueries:
    _tx: Transactions
    clock: Clock
    events: ChallengeEvents

    async def create_challenge(
        self,
        new: NewChallenge,
        choose: Chooser,
        *,
        history: int,
        max_live: int,
        reissue_limit: int | None = None,
    ) -> Challenge | None:
        """A new pending challenge on the number ``choose`` picks from the phone's
        challenges of the last ``history`` seconds, in one transaction (see
        :func:`db.challenge_units.create`); None when a reissue is refused."""
        now = self.clock()

        def work(db: sqlite3.Connection) -> Created:
            created = units.create(
                db, new, choose, now=now, history_since=now - history,
                max_live=max_live, reissue_limit=reissue_limit,
            )  # fmt: skip
            audit_ended(db, now, created.cancelled)
            return created

        created = await self._tx.run_write(work)
        self.events.tell(ChallengeState.CANCELLED, [c[0] for c in created.cancelled])
        self.events.tell(EventKind.CODE_ASSIGNED, created.recoded)
        return created.challenge

    async def challenge(self, challenge_id: int) -> Challenge | None:
        def work(db: sqlite3.Connection) -> Challenge | None:
            row = db.execute(
                f"SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE id = ?", (challenge_id,)
            ).fetchone()
            return challenge_row(row) if row else None

        return await self._tx.run_read(work)

    async def consume_challenge(self, challenge_id: int) -> bool:
        """verified → consumed, once: the browser has been let in."""
        changed = await self._tx.run_write(
            lambda db: (
                db.execute(
                    "UPDATE challenges SET state = 'consumed' WHERE id = ? AND state = 'verified'",
                    (challenge_id,),
                ).rowcount
                == 1
            )
        )
        if changed:
            self.events.tell(ChallengeState.CONSUMED, [challenge_id])
        return changed

    async def cancel_challenge(self, challenge_id: int, why: EndedBy | None = None) -> bool:
        now = self.clock()

        def work(db: sqlite3.Connection) -> bool:
            if not units.cancel(db, challenge_id, why):
                return False
            if why is not None:
                audit_ended(db, now, [(challenge_id, None, why)])
            return True

        changed = await self._tx.run_write(work)
        if changed:
            self.events.tell(ChallengeState.CANCELLED, [challenge_id])
        return changed

    async def expire_due(self) -> list[int]:
        """pending → expired for every challenge past its time; returns their ids."""
        now = self.clock()
        rows = await self._tx.run_write(
            lambda db: db.execute(
                "UPDATE challenges SET state = 'expired'"
                " WHERE state = 'pending' AND expires_at <= ? RETURNING id",
                (now,),
            ).fetchall()
        )
        expired = [row[0] for row in rows]
        self.events.tell(ChallengeState.EXPIRED, expired)
        return expired
