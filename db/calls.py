"""Calls: one call's unit of work (``db.call_units``), its events, and the call log's reads
(how a call ended, recent calls, outcome counts). A call's writes go through the group
commit (``Transactions.run_batched``): calls arriving together share one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from callauth.db import call_units
from callauth.db.call_units import CallerRows, Logged, RecordedCall
from callauth.db.clock import Clock
from callauth.db.connection import Transactions
from callauth.db.events import ChallengeEvents
from callauth.db.models import Call, CallEnd, ChallengeState, EventKind, NewCall
from callauth.db.rows import CALL_FIELDS, call_values

#: ``decide`` for a call: the pure decision, run on the database thread, given the rows.
Decide = Callable[[CallerRows | None], tuple[NewCall, int | None]]


class CallQueries:
    _tx: Transactions
    clock: Clock
    events: ChallengeEvents

    async def caller_rows(
        self, cli_e164: str, challenge_window: int, call_window: int
    ) -> CallerRows:
        now = self.clock()
        return await self._tx.run_read(
            lambda db: call_units.caller_rows(
                db, cli_e164, now - challenge_window, now - call_window
            )
        )

    async def record_call(self, call: NewCall, verify: int | None = None) -> Call:
        """Log a call; with ``verify``, also move that challenge pending → verified.

        If the challenge changed in the meantime (expired, verified by another call), the
        call is logged as a lost race instead (db.call_units.LOST_RACE): never twice. A
        withheld or unavailable call that names a pending challenge leaves its hint on it.
        """
        logged = await self._tx.run_batched(lambda db: call_units.record_call(db, call, verify))
        return self._recorded(call, verify, logged)

    async def decide_call(
        self,
        cli_e164: str | None,
        challenge_window: int,
        call_window: int,
        decide: Decide,
        dialled_e164: str | None = None,
    ) -> RecordedCall:
        """One call's whole unit of work, atomic (its own savepoint of a group commit) and
        answered only once committed: the caller's rows (None without a usable number),
        ``decide`` on them (a pure function: it runs on the database thread), and the
        call it returns recorded with the challenge it verifies."""
        now = self.clock()

        def work(db: sqlite3.Connection) -> tuple[CallerRows | None, NewCall, int | None, Logged]:
            rows = None
            if cli_e164 is not None:
                at = (dialled_e164, now) if dialled_e164 else None
                rows = call_units.caller_rows(
                    db, cli_e164, now - challenge_window, now - call_window, at
                )
            call, verify = decide(rows)
            return rows, call, verify, call_units.record_call(db, call, verify)

        rows, call, verify, logged = await self._tx.run_batched(work)
        return _result(self._recorded(call, verify, logged), rows, logged)

    async def key_code(
        self,
        call_id: int,
        cli_e164: str,
        challenge_window: int,
        decide: Callable[[CallerRows], tuple[NewCall, int | None]],
    ) -> RecordedCall:
        """A keypad code keyed during the logged call ``call_id``: the caller's rows read
        again, ``decide`` on them, and the call row updated with its outcome, reason and
        challenge (see :func:`db.call_units.key_code`), all in one unit of work that also
        verifies the challenge ``decide`` names."""
        now = self.clock()

        def work(db: sqlite3.Connection) -> tuple[CallerRows, NewCall, int | None, Logged]:
            rows = call_units.caller_rows(db, cli_e164, now - challenge_window, now)
            keyed, verify = decide(rows)
            return rows, keyed, verify, call_units.key_code(db, call_id, keyed, verify, now)

        rows, keyed, verify, logged = await self._tx.run_batched(work)
        return _result(self._recorded(keyed, verify, logged), rows, logged)

    def _recorded(self, call: NewCall, verify: int | None, logged: Logged) -> Call:
        """The call as logged (a lost race: the row as the unit rewrote it); the one place
        a call's effects reach the waiting pages (db/events.py)."""
        self.events.tell(EventKind.LAST_CALL, logged.told)
        if logged.lost is not None:
            return logged.lost
        if verify is not None:
            self.events.tell(ChallengeState.VERIFIED, [verify])
            self.events.tell(ChallengeState.CANCELLED, logged.ended)
        return Call(*call_values(call), id=logged.call_id)  # type: ignore[misc]

    async def complete_call(
        self, uniqueid: str, hangup_cause: int | None, hangup_cause_txt: str, ended_at: int
    ) -> bool:
        """Record how the call with this channel uniqueid ended; False if none is logged.

        The first Hangup wins: a repeated event never overwrites it.
        """
        values = (ended_at, hangup_cause, hangup_cause_txt, uniqueid)
        changed = await self._tx.run_batched(
            lambda db: (
                db.execute(
                    "UPDATE calls SET ended_at = ?, hangup_cause = ?, hangup_cause_txt = ?"
                    " WHERE uniqueid = ? AND ended_at IS NULL",
                    values,
                ).rowcount
            )
        )
        return changed > 0

    async def call_end(self, uniqueid: str) -> CallEnd | None:
        row = await self._tx.run_read(
            lambda db: db.execute(
                "SELECT uniqueid, ended_at, hangup_cause, hangup_cause_txt FROM calls"
                " WHERE uniqueid = ? AND ended_at IS NOT NULL ORDER BY id DESC LIMIT 1",
                (uniqueid,),
            ).fetchone()
        )
        return CallEnd(**dict(row)) if row else None

    async def recent_calls(self, limit: int = 50) -> list[Call]:
        def work(db: sqlite3.Connection) -> list[Call]:
            rows = db.execute(
                f"SELECT id, {', '.join(CALL_FIELDS)} FROM calls ORDER BY id DESC LIMIT ?",
                (limit,),
            )
            return [Call(**dict(row)) for row in rows]

        return await self._tx.run_read(work)

    async def outcome_counts(self) -> dict[str, int]:
        return await self._tx.run_read(
            lambda db: {
                row[0]: int(row[1])
                for row in db.execute("SELECT outcome, count(*) FROM calls GROUP BY outcome")
            }
        )


def _result(call: Call, rows: CallerRows | None, logged: Logged) -> RecordedCall:
    return RecordedCall(call, rows, logged.verified, logged.lost is not None, logged.mail_holder)
