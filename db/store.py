"""The store: every query callauth makes, as plain async methods returning frozen rows.

Each method is one transaction. State changes are compare-and-set UPDATEs guarded by the
expected old state, so a race can never verify twice or resurrect an expired challenge.
"""

from __future__ import annotations

import dataclasses
import operator
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import aiosqlite

from db.connection import Transactions, connect
from db.events import ChallengeEvents
from db.models import (
    Call,
    CallEnd,
    Challenge,
    ChallengeEvent,
    ChallengeState,
    Contract,
    Holder,
    NewCall,
    NewContract,
    NewHolder,
)

Clock = Callable[[], int]


def system_clock() -> int:
    return int(time.time())


@dataclass(frozen=True)
class CallerRows:
    """What one call's decision needs to know about the calling number."""

    registered: bool
    recent_challenges: tuple[Challenge, ...]  # newest first
    recent_calls: int


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: int
    holder_id: int | None
    event: str
    detail: str
    ip: str


_CHALLENGE_COLUMNS = (
    "id, holder_id, session_ref, phone_e164, auth_number, created_at, expires_at, state,"
    " verified_call_id, kind, hint"
)
_CALL_FIELDS = [f.name for f in dataclasses.fields(NewCall)]
#: A NewCall's values in column order (cheaper than dataclasses.astuple on the hot path).
_call_values = operator.attrgetter(*_CALL_FIELDS)
_INSERT_CALL = (
    f"INSERT INTO calls ({', '.join(_CALL_FIELDS)}) VALUES ({', '.join('?' * len(_CALL_FIELDS))})"
)


#: A refused call that names a challenge leaves this hint on it for the waiting page.
_HINTS = {"withheld": "withheld_call", "unavailable": "unavailable_call"}


def _challenge(row: sqlite3.Row | tuple[object, ...]) -> Challenge:
    # Positional, in _CHALLENGE_COLUMNS order: this runs for every row a call looks at.
    (id_, holder_id, session_ref, phone, auth_number, created, expires, state, call, kind,
     hint) = row  # fmt: skip
    return Challenge(
        id_, holder_id, session_ref, phone, auth_number, created, expires,  # type: ignore[arg-type]
        ChallengeState(state), call, kind, hint,  # type: ignore[arg-type]
    )  # fmt: skip


def _holder(row: sqlite3.Row) -> Holder:
    values = dict(row)
    values.pop("created_at", None)
    return Holder(**values)


def _contract(row: sqlite3.Row) -> Contract:
    values = dict(row)
    values["insured_same_as_holder"] = bool(values["insured_same_as_holder"])
    values["changeable_online"] = bool(values["changeable_online"])
    return Contract(**values)


def _caller_rows(
    db: sqlite3.Connection, cli_e164: str, challenges_since: int, calls_since: int
) -> CallerRows:
    registered = db.execute(
        "SELECT EXISTS (SELECT 1 FROM holders WHERE phone_e164 = ?)", (cli_e164,)
    ).fetchone()[0]
    challenges = db.execute(
        f"SELECT {_CHALLENGE_COLUMNS} FROM challenges"
        " WHERE phone_e164 = ? AND created_at > ? ORDER BY created_at DESC, id DESC LIMIT 20",
        (cli_e164, challenges_since),
    ).fetchall()
    recent_calls = db.execute(
        "SELECT count(*) FROM calls WHERE cli_e164 = ? AND received_at > ?",
        (cli_e164, calls_since),
    ).fetchone()[0]
    return CallerRows(bool(registered), tuple(map(_challenge, challenges)), int(recent_calls))


def _record_call(db: sqlite3.Connection, call: NewCall, verify: int | None) -> tuple[int, bool]:
    """(call id, whether the challenge to verify had changed) inside the caller's transaction."""
    call_id = db.execute(_INSERT_CALL, _call_values(call)).lastrowid
    assert call_id is not None
    hint = _HINTS.get(call.outcome)
    if hint is not None and call.challenge_id is not None:
        db.execute(
            "UPDATE challenges SET hint = ? WHERE id = ? AND state = 'pending'",
            (hint, call.challenge_id),
        )
    if verify is None:
        return call_id, False
    changed = db.execute(
        "UPDATE challenges SET state = 'verified', verified_call_id = ?"
        " WHERE id = ? AND state = 'pending' AND expires_at > ?",
        (call_id, verify, call.received_at),
    ).rowcount
    if changed == 1:
        return call_id, False
    db.execute(
        "UPDATE calls SET outcome = 'not_matched', reason = 'challenge_changed' WHERE id = ?",
        (call_id,),
    )
    return call_id, True


class Store:
    def __init__(self, conn: aiosqlite.Connection, clock: Clock = system_clock) -> None:
        self._tx = Transactions(conn)
        self.clock = clock
        self.events = ChallengeEvents()

    @classmethod
    async def open(cls, path: str, clock: Clock = system_clock) -> Store:
        return cls(await connect(path), clock)

    async def close(self) -> None:
        await self._tx.conn.close()

    @property
    def transactions(self) -> Transactions:
        """The connection's unit-of-work helper, for repositories in sibling modules."""
        return self._tx

    # -- holders and contracts ---------------------------------------------------------

    async def add_holder(self, new: NewHolder) -> Holder:
        async with self._tx.write() as db:
            cursor = await db.execute(
                "INSERT INTO holders (login_id, password_hash, name, kana, birth_date, email,"
                " phone_e164, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*dataclasses.astuple(new), self.clock()),
            )
            holder_id = cursor.lastrowid
        assert holder_id is not None
        return Holder(id=holder_id, **dataclasses.asdict(new))

    async def add_holders(self, rows: Iterable[NewHolder]) -> int:
        """Bulk insert (seeding, imports, benchmarks) in one transaction."""
        now = self.clock()
        async with self._tx.write() as db:
            cursor = await db.executemany(
                "INSERT INTO holders (login_id, password_hash, name, kana, birth_date, email,"
                " phone_e164, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ((*dataclasses.astuple(new), now) for new in rows),
            )
            return cursor.rowcount

    async def holder(self, holder_id: int) -> Holder | None:
        return await self._one_holder("id = ?", holder_id)

    async def holder_by_login(self, login_id: str) -> Holder | None:
        return await self._one_holder("login_id = ?", login_id)

    async def _one_holder(self, where: str, value: object) -> Holder | None:
        async with self._tx.read() as db:
            async with db.execute(f"SELECT * FROM holders WHERE {where}", (value,)) as cursor:
                row = await cursor.fetchone()
        return _holder(row) if row else None

    async def count_holders(self) -> int:
        async with self._tx.read() as db:
            async with db.execute("SELECT count(*) FROM holders") as cursor:
                row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def add_contract(self, holder_id: int, new: NewContract) -> Contract:
        fields = dataclasses.asdict(new)
        columns = ", ".join(["holder_id", *fields])
        marks = ", ".join("?" * (len(fields) + 1))
        async with self._tx.write() as db:
            cursor = await db.execute(
                f"INSERT INTO contracts ({columns}) VALUES ({marks})",
                (holder_id, *fields.values()),
            )
            contract_id = cursor.lastrowid
        assert contract_id is not None
        return Contract(id=contract_id, holder_id=holder_id, **fields)

    async def contracts_of(self, holder_id: int) -> list[Contract]:
        async with self._tx.read() as db:
            async with db.execute(
                "SELECT * FROM contracts WHERE holder_id = ? ORDER BY start_date, id",
                (holder_id,),
            ) as cursor:
                return [_contract(row) async for row in cursor]

    # -- challenges --------------------------------------------------------------------

    async def create_challenge(
        self, holder_id: int, session_ref: str, phone_e164: str, auth_number: str, ttl: int
    ) -> Challenge:
        """A new pending challenge; the same browser session's older ones are cancelled."""
        now = self.clock()

        def work(db: sqlite3.Connection) -> tuple[list[int], Challenge]:
            cancelled = db.execute(
                "UPDATE challenges SET state = 'cancelled'"
                " WHERE session_ref = ? AND state = 'pending' RETURNING id",
                (session_ref,),
            ).fetchall()
            row = db.execute(
                "INSERT INTO challenges (holder_id, session_ref, phone_e164, auth_number,"
                f" created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING {_CHALLENGE_COLUMNS}",
                (holder_id, session_ref, phone_e164, auth_number, now, now + ttl),
            ).fetchone()
            return [r[0] for r in cancelled], _challenge(row)

        cancelled, challenge = await self._tx.run_write(work)
        for challenge_id in cancelled:
            self.events.publish(ChallengeEvent(challenge_id, ChallengeState.CANCELLED.value))
        return challenge

    async def busy_auth_numbers(self, phone_e164: str) -> set[str]:
        """Auth numbers held by this phone's live pending challenges."""
        now = self.clock()

        def work(db: sqlite3.Connection) -> set[str]:
            rows = db.execute(
                "SELECT auth_number FROM challenges"
                " WHERE phone_e164 = ? AND state = 'pending' AND expires_at > ?",
                (phone_e164, now),
            ).fetchall()
            return {row[0] for row in rows}

        return await self._tx.run_read(work)

    async def challenge(self, challenge_id: int) -> Challenge | None:
        def work(db: sqlite3.Connection) -> Challenge | None:
            row = db.execute(
                f"SELECT {_CHALLENGE_COLUMNS} FROM challenges WHERE id = ?", (challenge_id,)
            ).fetchone()
            return _challenge(row) if row else None

        return await self._tx.run_read(work)

    async def caller_rows(
        self, cli_e164: str, challenge_window: int, call_window: int
    ) -> CallerRows:
        now = self.clock()
        return await self._tx.run_read(
            lambda db: _caller_rows(db, cli_e164, now - challenge_window, now - call_window)
        )

    async def _set_state(self, challenge_id: int, old: ChallengeState, new: ChallengeState) -> bool:
        async with self._tx.write() as db:
            cursor = await db.execute(
                "UPDATE challenges SET state = ? WHERE id = ? AND state = ?",
                (new.value, challenge_id, old.value),
            )
            changed = cursor.rowcount == 1
        if changed:
            self.events.publish(ChallengeEvent(challenge_id, new.value))
        return changed

    async def consume_challenge(self, challenge_id: int) -> bool:
        """verified → consumed, once: the browser has been let in."""
        return await self._set_state(challenge_id, ChallengeState.VERIFIED, ChallengeState.CONSUMED)

    async def cancel_challenge(self, challenge_id: int) -> bool:
        return await self._set_state(challenge_id, ChallengeState.PENDING, ChallengeState.CANCELLED)

    async def expire_due(self) -> list[int]:
        """pending → expired for every challenge past its time; returns their ids."""
        async with self._tx.write() as db:
            async with db.execute(
                "UPDATE challenges SET state = 'expired'"
                " WHERE state = 'pending' AND expires_at <= ? RETURNING id",
                (self.clock(),),
            ) as cursor:
                expired = [row[0] async for row in cursor]
        for challenge_id in expired:
            self.events.publish(ChallengeEvent(challenge_id, ChallengeState.EXPIRED.value))
        return expired

    # -- calls -------------------------------------------------------------------------

    async def record_call(self, call: NewCall, verify: int | None = None) -> Call:
        """Log a call; with ``verify``, also move that challenge pending → verified.

        If the challenge changed in the meantime (expired, verified by another call), the
        call is logged as ``not_matched`` / ``challenge_changed`` instead: never twice. A
        withheld or unavailable call that names a pending challenge leaves its hint on it.
        """
        call_id, lost = await self._tx.run_write(lambda db: _record_call(db, call, verify))
        return self._recorded(call, verify, call_id, lost)

    async def decide_call(
        self,
        cli_e164: str | None,
        challenge_window: int,
        call_window: int,
        decide: Callable[[CallerRows | None], tuple[NewCall, int | None]],
    ) -> tuple[Call, CallerRows | None]:
        """One call's whole unit of work in one transaction and one hop to the database
        thread: the caller's rows (None without a usable number), ``decide`` on them (a
        pure function: it runs on the database thread), and :meth:`record_call` of the call
        it returns with the challenge it verifies. Returns the logged call and the rows."""
        now = self.clock()

        def work(
            db: sqlite3.Connection,
        ) -> tuple[CallerRows | None, NewCall, int | None, int, bool]:
            rows = None
            if cli_e164 is not None:
                rows = _caller_rows(db, cli_e164, now - challenge_window, now - call_window)
            call, verify = decide(rows)
            return rows, call, verify, *_record_call(db, call, verify)

        rows, call, verify, call_id, lost = await self._tx.run_write(work)
        return self._recorded(call, verify, call_id, lost), rows

    def _recorded(self, call: NewCall, verify: int | None, call_id: int, lost: bool) -> Call:
        if lost:
            call = dataclasses.replace(call, outcome="not_matched", reason="challenge_changed")
        elif verify is not None:
            self.events.publish(ChallengeEvent(verify, ChallengeState.VERIFIED.value))
        return Call(*_call_values(call), id=call_id)  # type: ignore[misc]

    async def complete_call(
        self, uniqueid: str, hangup_cause: int | None, hangup_cause_txt: str, ended_at: int
    ) -> bool:
        """Record how the call with this channel uniqueid ended; False if none is logged.

        The first Hangup wins: a repeated event never overwrites it.
        """
        async with self._tx.write() as db:
            cursor = await db.execute(
                "UPDATE calls SET ended_at = ?, hangup_cause = ?, hangup_cause_txt = ?"
                " WHERE uniqueid = ? AND ended_at IS NULL",
                (ended_at, hangup_cause, hangup_cause_txt, uniqueid),
            )
            return cursor.rowcount > 0

    async def call_end(self, uniqueid: str) -> CallEnd | None:
        async with self._tx.read() as db:
            async with db.execute(
                "SELECT uniqueid, ended_at, hangup_cause, hangup_cause_txt FROM calls"
                " WHERE uniqueid = ? AND ended_at IS NOT NULL ORDER BY id DESC LIMIT 1",
                (uniqueid,),
            ) as cursor:
                row = await cursor.fetchone()
        return CallEnd(**dict(row)) if row else None

    async def recent_calls(self, limit: int = 50) -> list[Call]:
        async with self._tx.read() as db:
            async with db.execute(
                f"SELECT id, {', '.join(_CALL_FIELDS)} FROM calls ORDER BY id DESC LIMIT ?",
                (limit,),
            ) as cursor:
                return [Call(**dict(row)) async for row in cursor]

    async def outcome_counts(self) -> dict[str, int]:
        async with self._tx.read() as db:
            async with db.execute("SELECT outcome, count(*) FROM calls GROUP BY outcome") as cur:
                return {row[0]: int(row[1]) async for row in cur}

    # -- web sessions ------------------------------------------------------------------

    async def load_session(self, key: str) -> str | None:
        async with self._tx.read() as db:
            async with db.execute(
                "SELECT data FROM web_sessions WHERE key = ? AND expires_at > ?",
                (key, self.clock()),
            ) as cursor:
                row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def save_session(self, key: str, data: str, max_age: int) -> None:
        async with self._tx.write() as db:
            await db.execute(
                "INSERT INTO web_sessions (key, data, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET data = excluded.data,"
                " expires_at = excluded.expires_at",
                (key, data, self.clock() + max_age),
            )

    async def delete_session(self, key: str) -> None:
        async with self._tx.write() as db:
            await db.execute("DELETE FROM web_sessions WHERE key = ?", (key,))

    async def purge_sessions(self) -> int:
        async with self._tx.write() as db:
            cursor = await db.execute(
                "DELETE FROM web_sessions WHERE expires_at <= ?", (self.clock(),)
            )
            return cursor.rowcount

    # -- audit trail -------------------------------------------------------------------

    async def audit(
        self, holder_id: int | None, event: str, detail: str = "", ip: str = ""
    ) -> None:
        async with self._tx.write() as db:
            await db.execute(
                "INSERT INTO audit_log (at, holder_id, event, detail, ip) VALUES (?, ?, ?, ?, ?)",
                (self.clock(), holder_id, event, detail, ip),
            )

    async def audit_entries(
        self, holder_id: int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        where, args = ("WHERE holder_id = ?", (holder_id, limit)) if holder_id else ("", (limit,))
        async with self._tx.read() as db:
            async with db.execute(
                f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ?", args
            ) as cursor:
                return [AuditEntry(**dict(row)) async for row in cursor]
