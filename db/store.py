"""The store: every query callauth makes, as plain async methods returning frozen rows.

Each method is one transaction. State changes are compare-and-set UPDATEs guarded by the
expected old state, so a race can never verify twice or resurrect an expired challenge.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import aiosqlite

from db import challenge_units as units
from db.challenge_units import CHALLENGE_COLUMNS, Chooser, Created, NewChallenge, challenge_row
from db.connection import Transactions, connect
from db.dbfile import DbFile
from db.events import ChallengeEvents
from db.health import Health, StoreHealth
from db.models import (
    Call,
    CallEnd,
    Challenge,
    ChallengeEvent,
    ChallengeState,
    Contract,
    EndedBy,
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
    #: Live challenges on the dialled number of the caller's OWN holder that wait for
    #: another phone (the new number of a change, the holder's other number); read only
    #: when none of the caller's own live challenges is on that number.
    kin_challenges: tuple[Challenge, ...] = ()


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: int
    holder_id: int | None
    event: str
    detail: str
    ip: str


_CALL_FIELDS = [f.name for f in dataclasses.fields(NewCall)]
#: A NewCall's values in column order (cheaper than dataclasses.astuple on the hot path).
_call_values = operator.attrgetter(*_CALL_FIELDS)
_INSERT_CALL = (
    f"INSERT INTO calls ({', '.join(_CALL_FIELDS)}) VALUES ({', '.join('?' * len(_CALL_FIELDS))})"
)


#: A call tied to a challenge it did not verify leaves its kind on it for the waiting page
#: (challenges.last_call, migration 0009), by outcome or by reason.
_HINTS = {
    "withheld": "withheld_call",
    "unavailable": "unavailable_call",
    "wrong_auth_number": "wrong_number",
    "other_phone": "other_phone",
    "old_phone": "old_phone",
}
_KIN = (
    f"SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE auth_number = ? AND state = 'pending'"
    " AND expires_at > ? AND phone_e164 != ? AND holder_id IN (SELECT id FROM holders"
    " WHERE phone_e164 = ? UNION SELECT holder_id FROM contracts"
    " WHERE insured_same_as_holder = 1 AND insured_phone_e164 = ?) LIMIT 3"
)


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
    db: sqlite3.Connection,
    cli_e164: str,
    challenges_since: int,
    calls_since: int,
    dialled: tuple[str, int] | None = None,
) -> CallerRows:
    registered = db.execute(
        "SELECT EXISTS (SELECT 1 FROM holders WHERE phone_e164 = ?)", (cli_e164,)
    ).fetchone()[0]
    challenges = db.execute(
        f"SELECT {CHALLENGE_COLUMNS} FROM challenges"
        " WHERE phone_e164 = ? AND created_at > ? ORDER BY created_at DESC, id DESC LIMIT 20",
        (cli_e164, challenges_since),
    ).fetchall()
    # A wrong keypad code counts like a call: guessing codes costs the number's call limit.
    recent_calls = db.execute(
        "SELECT count(*) + coalesce(sum(wrong_codes), 0) FROM calls"
        " WHERE cli_e164 = ? AND received_at > ?",
        (cli_e164, calls_since),
    ).fetchone()[0]
    own = tuple(map(challenge_row, challenges))
    kin: tuple[Challenge, ...] = ()
    if dialled is not None and not any(
        c.auth_number == dialled[0] and c.visible_state(dialled[1]) is ChallengeState.PENDING
        for c in own
    ):  # the hot path (the right phone, the right number) never runs this query
        kin = tuple(map(challenge_row, db.execute(_KIN, (*dialled, cli_e164, cli_e164, cli_e164))))
    return CallerRows(bool(registered), own, int(recent_calls), kin)


@dataclass(frozen=True)
class _Logged:
    call_id: int
    lost: bool  # the challenge to verify had changed meanwhile: the call verified nothing
    ended: tuple[int, ...] = ()  # the holder's other logins, ended by the verification
    told: tuple[int, ...] = ()  # pending challenges whose last_call this call replaced
    verified: Challenge | None = None  # the challenge as this call verified it


@dataclass(frozen=True)
class RecordedCall:
    """One call's unit of work, done: what the service acts on, typed."""

    call: Call  # as logged (a lost race is logged not_matched / challenge_changed)
    rows: CallerRows | None  # what the decision saw (None: no usable caller number)
    verified: Challenge | None  # the challenge this call verified, with its kind and holder
    lost_race: bool  # the challenge to verify changed meanwhile: the call verified nothing


def _record_call(db: sqlite3.Connection, call: NewCall, verify: int | None) -> _Logged:
    """Insert the call (and verify ``verify``) inside the caller's transaction."""
    call_id = db.execute(_INSERT_CALL, _call_values(call)).lastrowid
    assert call_id is not None
    hint = _HINTS.get(call.outcome) or _HINTS.get(call.reason)
    told: tuple[int, ...] = ()
    if hint is not None and call.challenge_id is not None:
        cursor = db.execute(
            "UPDATE challenges SET last_call = ? WHERE id = ? AND state = 'pending'",
            (hint, call.challenge_id),
        )
        told = (call.challenge_id,) if cursor.rowcount == 1 else ()
    logged = _verify_for(db, call_id, verify, call.received_at)
    return dataclasses.replace(logged, told=told) if told else logged


def _tell_wrong_code(db: sqlite3.Connection, call: NewCall, now: int) -> tuple[int, ...]:
    """A wrong keypad code: every live login of the caller's phone on the dialled number
    asked for a code, and each page says the code keyed was not its own."""
    rows = db.execute(
        "UPDATE challenges SET last_call = 'wrong_code' WHERE phone_e164 = ?"
        " AND auth_number = ? AND state = 'pending' AND expires_at > ? AND code IS NOT NULL"
        " RETURNING id",
        (call.cli_e164, call.dialled_e164, now),
    ).fetchall()
    return tuple(row[0] for row in rows)


def _verify_for(db: sqlite3.Connection, call_id: int, verify: int | None, at: int) -> _Logged:
    if verify is None:
        return _Logged(call_id, False)
    result = units.verify(db, verify, call_id, at)
    if result is not None:
        verified, ended = result
        _audit_ended(db, at, [(i, verified.holder_id, EndedBy.VERIFIED_ELSEWHERE) for i in ended])
        return _Logged(call_id, False, tuple(ended), verified=verified)
    db.execute(
        "UPDATE calls SET outcome = 'not_matched', reason = 'challenge_changed' WHERE id = ?",
        (call_id,),
    )
    return _Logged(call_id, True)


def _audit_ended(
    db: sqlite3.Connection, at: int, ended: Iterable[tuple[int, int | None, EndedBy]]
) -> None:
    """Every cancellation of a login goes to the audit trail (holder looked up if None)."""
    for challenge_id, holder_id, why in ended:
        db.execute(
            "INSERT INTO audit_log (at, holder_id, event, detail) VALUES (?,"
            " coalesce(?, (SELECT holder_id FROM challenges WHERE id = ?)), ?, ?)",
            (at, holder_id, challenge_id, "challenge_cancelled", f"challenge {challenge_id} {why}"),
        )


class Store:
    def __init__(self, conn: aiosqlite.Connection, clock: Clock = system_clock) -> None:
        self._tx = Transactions(conn)
        self.clock = clock
        self.events = ChallengeEvents()

    @classmethod
    async def open(cls, path: str, clock: Clock = system_clock) -> Store:
        store = cls(await connect(path), clock)
        store._tx.file = DbFile.at(path)  # every unit of work checks it is still there
        return store

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
        created = await self._tx.run_write(
            lambda db: self._created(
                db,
                now,
                units.create(
                    db, new, choose, now=now, history_since=now - history,
                    max_live=max_live, reissue_limit=reissue_limit,
                ),
            )
        )  # fmt: skip
        self._publish_created(created)
        return created.challenge

    @staticmethod
    def _created(db: sqlite3.Connection, now: int, created: Created) -> Created:
        _audit_ended(db, now, created.cancelled)
        return created

    def _publish_created(self, created: Created) -> None:
        for challenge_id, _, _ in created.cancelled:
            self.events.publish(ChallengeEvent(challenge_id, ChallengeState.CANCELLED.value))
        for challenge_id in created.recoded:
            self.events.publish(ChallengeEvent(challenge_id, "code_assigned"))

    async def challenge(self, challenge_id: int) -> Challenge | None:
        def work(db: sqlite3.Connection) -> Challenge | None:
            row = db.execute(
                f"SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE id = ?", (challenge_id,)
            ).fetchone()
            return challenge_row(row) if row else None

        return await self._tx.run_read(work)

    async def caller_rows(
        self, cli_e164: str, challenge_window: int, call_window: int
    ) -> CallerRows:
        now = self.clock()
        return await self._tx.run_read(
            lambda db: _caller_rows(db, cli_e164, now - challenge_window, now - call_window)
        )

    async def consume_challenge(self, challenge_id: int) -> bool:
        """verified → consumed, once: the browser has been let in."""
        async with self._tx.write() as db:
            cursor = await db.execute(
                "UPDATE challenges SET state = 'consumed' WHERE id = ? AND state = 'verified'",
                (challenge_id,),
            )
            changed = cursor.rowcount == 1
        if changed:
            self.events.publish(ChallengeEvent(challenge_id, ChallengeState.CONSUMED.value))
        return changed

    async def cancel_challenge(self, challenge_id: int, why: EndedBy | None = None) -> bool:
        now = self.clock()

        def work(db: sqlite3.Connection) -> bool:
            if not units.cancel(db, challenge_id, why):
                return False
            if why is not None:
                _audit_ended(db, now, [(challenge_id, None, why)])
            return True

        changed = await self._tx.run_write(work)
        if changed:
            self.events.publish(ChallengeEvent(challenge_id, ChallengeState.CANCELLED.value))
        return changed

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
        logged = await self._tx.run_write(lambda db: _record_call(db, call, verify))
        return self._recorded(call, verify, logged)

    async def decide_call(
        self,
        cli_e164: str | None,
        challenge_window: int,
        call_window: int,
        decide: Callable[[CallerRows | None], tuple[NewCall, int | None]],
        dialled_e164: str | None = None,
    ) -> RecordedCall:
        """One call's whole unit of work in one transaction and one hop to the database
        thread: the caller's rows (None without a usable number), ``decide`` on them (a
        pure function: it runs on the database thread), and :meth:`record_call` of the call
        it returns with the challenge it verifies."""
        now = self.clock()

        def work(db: sqlite3.Connection) -> tuple[CallerRows | None, NewCall, int | None, _Logged]:
            rows = None
            if cli_e164 is not None:
                at = (dialled_e164, now) if dialled_e164 else None
                rows = _caller_rows(db, cli_e164, now - challenge_window, now - call_window, at)
            call, verify = decide(rows)
            return rows, call, verify, _record_call(db, call, verify)

        rows, call, verify, logged = await self._tx.run_write(work)
        return self._result(call, verify, logged, rows)

    async def key_code(
        self,
        call_id: int,
        cli_e164: str,
        challenge_window: int,
        decide: Callable[[CallerRows], tuple[NewCall, int | None]],
    ) -> RecordedCall:
        """A keypad code keyed during the logged call ``call_id``: the caller's rows read
        again, ``decide`` on them, and the call row updated with its outcome, reason and
        challenge (the returned call's ``wrong_codes`` is ADDED to the row's count), all in
        one transaction that also verifies the challenge ``decide`` names."""
        now = self.clock()

        def work(db: sqlite3.Connection) -> tuple[CallerRows, NewCall, int | None, _Logged]:
            rows = _caller_rows(db, cli_e164, now - challenge_window, now)
            keyed, verify = decide(rows)
            db.execute(
                "UPDATE calls SET outcome = ?, reason = ?, challenge_id = ?,"
                " wrong_codes = wrong_codes + ? WHERE id = ?",
                (keyed.outcome, keyed.reason, keyed.challenge_id, keyed.wrong_codes, call_id),
            )
            logged = _verify_for(db, call_id, verify, now)
            if keyed.reason == "wrong_code":
                logged = dataclasses.replace(logged, told=_tell_wrong_code(db, keyed, now))
            return rows, keyed, verify, logged

        rows, keyed, verify, logged = await self._tx.run_write(work)
        return self._result(keyed, verify, logged, rows)

    def _result(
        self, call: NewCall, verify: int | None, logged: _Logged, rows: CallerRows | None
    ) -> RecordedCall:
        return RecordedCall(
            self._recorded(call, verify, logged), rows, logged.verified, logged.lost
        )

    def _recorded(self, call: NewCall, verify: int | None, logged: _Logged) -> Call:
        for challenge_id in logged.told:
            self.events.publish(ChallengeEvent(challenge_id, "last_call"))
        if logged.lost:
            call = dataclasses.replace(call, outcome="not_matched", reason="challenge_changed")
        elif verify is not None:
            self.events.publish(ChallengeEvent(verify, ChallengeState.VERIFIED.value))
            for challenge_id in logged.ended:
                self.events.publish(ChallengeEvent(challenge_id, ChallengeState.CANCELLED.value))
        return Call(*_call_values(call), id=logged.call_id)  # type: ignore[misc]

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

    # -- health ------------------------------------------------------------------------

    @functools.cached_property
    def health(self) -> Health:
        """The write probe's last answer (db/health.py); ``usable`` is cheap to ask."""
        return Health(self._tx, self.clock)

    async def probe(self) -> StoreHealth:
        """A real write in a transaction, and the file at the path still the one opened."""
        return await self.health.probe()
