"""The challenge units of work, written against the plain sqlite3 connection.

Each runs inside one transaction on the database thread (``Transactions.run_write``), so
what it checks and what it writes cannot be split by another request: the number a new
challenge takes is chosen from the phone's rows read in the same transaction, and a
verification ends the holder's other logins in the transaction that verifies.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from callauth.db.models import Challenge, ChallengeKind, ChallengeState, EndedBy

CHALLENGE_COLUMNS = (
    "id, holder_id, session_ref, phone_e164, auth_number, created_at, expires_at, state,"
    " verified_call_id, kind, last_call, code, ended_by"
)

#: (auth number, its code or None, live challenges on that number that now get a code).
NumberChoice = tuple[str, str | None, Mapping[int, str]]
Chooser = Callable[[Sequence[Challenge]], NumberChoice]


def challenge_row(row: sqlite3.Row | tuple[object, ...]) -> Challenge:
    # Positional, in CHALLENGE_COLUMNS order: this runs for every row a call looks at.
    (id_, holder_id, session_ref, phone, auth_number, created, expires, state, call, kind,
     hint, code, ended_by) = row  # fmt: skip
    return Challenge(
        id_, holder_id, session_ref, phone, auth_number, created, expires,  # type: ignore[arg-type]
        ChallengeState(state), call, ChallengeKind(kind), hint, code,  # type: ignore[arg-type]
        EndedBy(ended_by) if ended_by else None,  # type: ignore[arg-type]
    )  # fmt: skip


@dataclass(frozen=True)
class NewChallenge:
    holder_id: int
    session_ref: str
    phone_e164: str
    ttl: int
    kind: ChallengeKind = ChallengeKind.LOGIN


@dataclass(frozen=True)
class Created:
    """What creating a challenge did, for the events and the audit trail."""

    challenge: Challenge | None  # None: refused (the login's reissues are used up)
    cancelled: tuple[tuple[int, int, EndedBy], ...] = ()  # (challenge, holder, why)
    recoded: tuple[int, ...] = ()


def phone_history(db: sqlite3.Connection, phone_e164: str, since: int) -> list[Challenge]:
    """The phone's challenges created after ``since``: the numbers it was shown."""
    rows = db.execute(
        f"SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE phone_e164 = ? AND created_at > ?",
        (phone_e164, since),
    ).fetchall()
    return [challenge_row(row) for row in rows]


def create(
    db: sqlite3.Connection,
    new: NewChallenge,
    choose: Chooser,
    *,
    now: int,
    history_since: int,
    max_live: int,
    reissue_limit: int | None = None,
) -> Created:
    """Insert a challenge on the number ``choose`` picks from the phone's history.

    ``reissue_limit`` set: the session's login is re-drawn, refused once it has been
    re-drawn that often. The session's older pending challenges end (``reissued`` or
    ``relogin``); beyond ``max_live`` live logins of the holder the oldest end too.
    """
    if reissue_limit is not None and _drawn_for(db, new.session_ref) > reissue_limit:
        return Created(None)
    cancelled: list[tuple[int, int, EndedBy]] = []
    if new.kind is ChallengeKind.LOGIN:
        why = EndedBy.REISSUED if reissue_limit is not None else EndedBy.RELOGIN
        cancelled += [(i, new.holder_id, why) for i in _end_session(db, new.session_ref, why)]
        cancelled += _make_room(db, new.holder_id, now, max_live)
    number, code, recoded = choose(phone_history(db, new.phone_e164, history_since))
    for challenge_id, recode in recoded.items():
        db.execute(
            "UPDATE challenges SET code = ? WHERE id = ? AND state = 'pending' AND code IS NULL",
            (recode, challenge_id),
        )
    row = db.execute(
        "INSERT INTO challenges (holder_id, session_ref, phone_e164, auth_number, created_at,"
        f" expires_at, kind, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {CHALLENGE_COLUMNS}",
        (new.holder_id, new.session_ref, new.phone_e164, number, now, now + new.ttl, new.kind,
         code),
    ).fetchone()  # fmt: skip
    return Created(challenge_row(row), tuple(cancelled), tuple(recoded))


def _drawn_for(db: sqlite3.Connection, session_ref: str) -> int:
    """How many times this session's login has been drawn already (1 + its reissues)."""
    return int(
        db.execute(
            "SELECT count(*) FROM challenges WHERE session_ref = ? AND kind = 'login'",
            (session_ref,),
        ).fetchone()[0]
    )


def _end_session(db: sqlite3.Connection, session_ref: str, why: EndedBy) -> list[int]:
    rows = db.execute(
        "UPDATE challenges SET state = 'cancelled', ended_by = ?"
        " WHERE session_ref = ? AND state = 'pending' AND kind = 'login' RETURNING id",
        (why.value, session_ref),
    ).fetchall()
    return [row[0] for row in rows]


def _make_room(
    db: sqlite3.Connection, holder_id: int, now: int, max_live: int
) -> list[tuple[int, int, EndedBy]]:
    """End the holder's oldest live logins so that the new one makes ``max_live``."""
    live = db.execute(
        "SELECT id FROM challenges WHERE holder_id = ? AND kind = 'login' AND state = 'pending'"
        " AND expires_at > ? ORDER BY created_at, id",
        (holder_id, now),
    ).fetchall()
    ended = []
    for (challenge_id,) in live[: max(0, len(live) - max_live + 1)]:
        cancel(db, challenge_id, EndedBy.SUPERSEDED)
        ended.append((challenge_id, holder_id, EndedBy.SUPERSEDED))
    return ended


def cancel(db: sqlite3.Connection, challenge_id: int, why: EndedBy | None) -> bool:
    """pending → cancelled, once."""
    return (
        db.execute(
            "UPDATE challenges SET state = 'cancelled', ended_by = ? WHERE id = ? AND state = 'pending'",
            (why.value if why else None, challenge_id),
        ).rowcount
        == 1
    )


@dataclass(frozen=True)
class Verified:
    """What verifying a challenge did."""

    challenge: Challenge  # as verified
    ended: tuple[int, ...]  # the holder's other live logins, now ended
    has_confirmed_email: bool  # the holder proved an address a notice may go to


# One statement in the common case: the guarded update also reads whether other logins of
# the holder wait (mostly none: no second UPDATE) and whether the holder has a confirmed
# address (for the login notice).
_VERIFY = (
    "UPDATE challenges SET state = 'verified', verified_call_id = ?"
    f" WHERE id = ? AND state = 'pending' AND expires_at > ? RETURNING {CHALLENGE_COLUMNS},"
    " EXISTS (SELECT 1 FROM challenges AS other WHERE other.holder_id = challenges.holder_id"
    " AND other.kind = 'login' AND other.state = 'pending' AND other.id != challenges.id),"
    " (SELECT email IS NOT NULL AND email_confirmed_at IS NOT NULL FROM holders"
    " WHERE holders.id = challenges.holder_id)"
)
_COLUMNS = CHALLENGE_COLUMNS.count(",") + 1


def verify(db: sqlite3.Connection, challenge_id: int, call_id: int, at: int) -> Verified | None:
    """pending → verified by ``call_id``; None if it had changed meanwhile. A login's
    verification ends the holder's other live logins: only one login completes per call."""
    row = db.execute(_VERIFY, (call_id, challenge_id, at)).fetchone()
    if row is None:
        return None
    verified = challenge_row(tuple(row)[:_COLUMNS])
    others, confirmed = row[_COLUMNS], row[_COLUMNS + 1]
    if verified.kind is not ChallengeKind.LOGIN or not others:
        return Verified(verified, (), bool(confirmed))
    ended = db.execute(
        "UPDATE challenges SET state = 'cancelled', ended_by = 'verified_elsewhere'"
        " WHERE holder_id = ? AND kind = 'login' AND state = 'pending' AND id != ? RETURNING id",
        (verified.holder_id, challenge_id),
    ).fetchall()
    return Verified(verified, tuple(r[0] for r in ended), bool(confirmed))
