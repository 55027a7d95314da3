"""A call's unit of work against the plain sqlite3 connection (atomic: one transaction).

The caller's rows for the decision, the call row, the guarded ``pending → verified`` and
what a tied call leaves on its challenge for the waiting page. ``db.calls`` runs these.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from dataclasses import dataclass

from callauth.db import challenge_units as units
from callauth.db.challenge_units import CHALLENGE_COLUMNS, challenge_row
from callauth.db.models import Call, Challenge, ChallengeKind, ChallengeState, EndedBy, NewCall
from callauth.db.rows import CALL_FIELDS, INSERT_CALL, audit_ended, call_values


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


#: The call log's words for a lost race (data: the row keeps them; code reads
#: ``Logged.lost`` / ``RecordedCall.lost_race``, never the text).
LOST_RACE = ("not_matched", "challenge_changed")


@dataclass(frozen=True)
class Logged:
    call_id: int
    #: The challenge to verify had changed meanwhile: the call verified nothing, and this
    #: is its row as rewritten (outcome and reason ``LOST_RACE``).
    lost: Call | None = None
    ended: tuple[int, ...] = ()  # the holder's other logins, ended by the verification
    told: tuple[int, ...] = ()  # pending challenges whose last_call this call replaced
    verified: Challenge | None = None  # the challenge as this call verified it
    mail_holder: bool = False  # a verified login whose holder has a confirmed address


@dataclass(frozen=True)
class RecordedCall:
    """One call's unit of work, done: what the service acts on, typed."""

    call: Call  # as logged (a lost race is logged with the words LOST_RACE)
    rows: CallerRows | None  # what the decision saw (None: no usable caller number)
    verified: Challenge | None  # the challenge this call verified, with its kind and holder
    lost_race: bool  # the challenge to verify changed meanwhile: the call verified nothing
    #: A verified login whose holder has a confirmed address: the login notice is due (read
    #: in this unit of work, so a holder without one costs the call nothing more).
    mail_holder: bool = False


#: A call tied to a challenge it did not verify leaves its kind on it for the waiting page
#: (challenges.last_call, migration 0009), by outcome or by reason.
_HINTS = {
    "withheld": "withheld_call",
    "unavailable": "unavailable_call",
    "wrong_auth_number": "wrong_number",
    "other_phone": "other_phone",
    "old_phone": "old_phone",
}
_CALL_COLUMNS = ", ".join(CALL_FIELDS)
_KIN = (
    f"SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE auth_number = ? AND state = 'pending'"
    " AND expires_at > ? AND phone_e164 != ? AND holder_id IN (SELECT id FROM holders"
    " WHERE phone_e164 = ? UNION SELECT holder_id FROM contracts"
    " WHERE insured_same_as_holder = 1 AND insured_phone_e164 = ?) LIMIT 3"
)


def caller_rows(
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


def record_call(db: sqlite3.Connection, call: NewCall, verify: int | None) -> Logged:
    """Insert the call (and verify ``verify``) inside the caller's transaction."""
    call_id: int = db.execute(INSERT_CALL, call_values(call)).fetchone()[0]
    hint = _HINTS.get(call.outcome) or _HINTS.get(call.reason)
    told: tuple[int, ...] = ()
    if hint is not None and call.challenge_id is not None:
        cursor = db.execute(
            "UPDATE challenges SET last_call = ? WHERE id = ? AND state = 'pending'",
            (hint, call.challenge_id),
        )
        told = (call.challenge_id,) if cursor.rowcount == 1 else ()
    logged = verify_for(db, call_id, verify, call.received_at)
    return dataclasses.replace(logged, told=told) if told else logged


def key_code(
    db: sqlite3.Connection, call_id: int, keyed: NewCall, verify: int | None, now: int
) -> Logged:
    """The call row takes the keyed code's outcome (``keyed.wrong_codes`` is ADDED to its
    count), then ``verify`` is verified; a wrong code is told on every page it could be."""
    db.execute(
        "UPDATE calls SET outcome = ?, reason = ?, challenge_id = ?,"
        " wrong_codes = wrong_codes + ? WHERE id = ?",
        (keyed.outcome, keyed.reason, keyed.challenge_id, keyed.wrong_codes, call_id),
    )
    logged = verify_for(db, call_id, verify, now)
    if keyed.reason == "wrong_code":
        logged = dataclasses.replace(logged, told=_tell_wrong_code(db, keyed, now))
    return logged


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


def verify_for(db: sqlite3.Connection, call_id: int, verify: int | None, at: int) -> Logged:
    if verify is None:
        return Logged(call_id)
    done = units.verify(db, verify, call_id, at)
    if done is not None:
        ended = done.ended
        audit_ended(
            db, at, [(i, done.challenge.holder_id, EndedBy.VERIFIED_ELSEWHERE) for i in ended]
        )
        mail = done.challenge.kind is ChallengeKind.LOGIN and done.has_confirmed_email
        return Logged(call_id, None, ended, verified=done.challenge, mail_holder=mail)
    row = db.execute(
        f"UPDATE calls SET outcome = ?, reason = ? WHERE id = ? RETURNING id, {_CALL_COLUMNS}",
        (*LOST_RACE, call_id),
    ).fetchone()
    return Logged(call_id, Call(**dict(row)))
