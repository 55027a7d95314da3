"""Rows as the store returns them: frozen dataclasses, nothing SQLite-specific."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ChallengeState(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    CONSUMED = "consumed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class ChallengeKind(enum.StrEnum):
    LOGIN = "login"
    PHONE_CHANGE = "phone_change"  # the call proves a holder's new number


class EndedBy(enum.StrEnum):
    """Why a challenge was cancelled: what its waiting page tells the holder."""

    SUPERSEDED = "superseded"  # a newer login of the holder took its place
    VERIFIED_ELSEWHERE = "verified_elsewhere"  # another login of the holder was verified
    REISSUED = "reissued"  # the same page asked for a new number
    LOGOUT = "logout"
    RELOGIN = "relogin"  # the same browser logged in again


@dataclass(frozen=True)
class Holder:
    id: int
    login_id: str
    password_hash: str
    name: str
    kana: str
    birth_date: str
    email: str | None
    phone_e164: str | None
    #: When ``email`` was proven by a code sent to it; None: never (no mail goes there).
    email_confirmed_at: int | None = None


@dataclass(frozen=True)
class NewHolder:
    login_id: str
    password_hash: str
    name: str
    kana: str = ""
    birth_date: str = ""
    email: str | None = None
    phone_e164: str | None = None


@dataclass(frozen=True)
class Contract:
    id: int
    policy_number: str
    product: str
    start_date: str
    end_date: str
    holder_id: int
    insured_name: str
    insured_kana: str
    insured_birth_date: str
    insured_same_as_holder: bool
    insured_phone_e164: str | None
    changeable_online: bool


@dataclass(frozen=True)
class NewContract:
    policy_number: str
    product: str
    start_date: str
    end_date: str
    insured_name: str
    insured_kana: str = ""
    insured_birth_date: str = ""
    insured_same_as_holder: bool = False
    insured_phone_e164: str | None = None
    changeable_online: bool = True


@dataclass(frozen=True)
class Challenge:
    id: int
    holder_id: int
    session_ref: str
    phone_e164: str
    auth_number: str
    created_at: int
    expires_at: int
    state: ChallengeState
    verified_call_id: int | None
    kind: ChallengeKind = ChallengeKind.LOGIN
    hint: str | None = None  # "withheld_call" / "unavailable_call": a refused call named it
    code: str | None = None  # the keypad code the page shows, when the number is not enough
    ended_by: EndedBy | None = None  # why it was cancelled, when not by a call or its time

    # Whether a call may still verify it is ivr.verification.is_live, the decision's own.
    def visible_state(self, now: int) -> ChallengeState:
        """The state a person should see: a pending challenge past its time is expired."""
        if self.state is ChallengeState.PENDING and self.expires_at <= now:
            return ChallengeState.EXPIRED
        return self.state


@dataclass(frozen=True)
class NewCall:
    received_at: int
    uniqueid: str
    channel: str
    cli_raw: str
    cli_e164: str | None
    presentation: str
    dialled_raw: str
    dialled_e164: str | None
    peer: str
    context: str
    outcome: str
    reason: str
    challenge_id: int | None = None
    wrong_codes: int = 0  # wrong keypad codes keyed in this call


@dataclass(frozen=True)
class Call(NewCall):
    id: int = 0


@dataclass(frozen=True)
class CallEnd:
    """How a logged call ended, from the PBX's Hangup event (AMI)."""

    uniqueid: str
    ended_at: int
    hangup_cause: int | None  # Q.850, e.g. 21 Call Rejected, 16 Normal Clearing
    hangup_cause_txt: str


class EventKind(enum.StrEnum):
    """What a waiting page hears changed on its challenge, besides its state."""

    LAST_CALL = "last_call"  # a call tied to it left its kind (challenges.last_call)
    CODE_ASSIGNED = "code_assigned"  # it now asks for a keypad code
    REREAD = "reread"  # changes may have been missed (a lost LISTEN): read it again


@dataclass(frozen=True)
class ChallengeEvent:
    """Something a waiting browser should hear about its challenge."""

    challenge_id: int
    kind: ChallengeState | EventKind  # its new state, or what else changed

    @classmethod
    def named(cls, challenge_id: int, kind: str) -> ChallengeEvent:
        """The event another process notified as text; a kind it does not know (a newer
        version's) is a re-read: the page reads its challenge again either way."""
        for kinds in (ChallengeState, EventKind):
            if kind in kinds.__members__.values():
                return cls(challenge_id, kinds(kind))
        return cls(challenge_id, EventKind.REREAD)


class ChangeState(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_CALL = "awaiting_call"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class NewPhoneChange:
    holder_id: int
    contract_id: int
    party: str  # holder | insured (when the insured is the holder)
    old_phone_e164: str | None
    new_phone_e164: str
    change_date: str
    session_ref: str
    ip: str


@dataclass(frozen=True)
class PhoneChange(NewPhoneChange):
    id: int
    state: ChangeState
    challenge_id: int | None
    created_at: int
    expires_at: int | None
    completed_at: int | None


class ConfirmOutcome(enum.StrEnum):
    CONFIRMED = "confirmed"
    WRONG_CODE = "wrong_code"
    EXPIRED = "expired"
    LOCKED = "locked"  # too many wrong codes: a new code is needed
    NONE = "none"  # nothing is waiting for a code


@dataclass(frozen=True)
class PendingEmail:
    id: int
    holder_id: int
    email: str
    created_at: int
    expires_at: int
    tries: int
    state: str


@dataclass(frozen=True)
class ConfirmResult:
    outcome: ConfirmOutcome
    tries_left: int
    email: str | None  # the address in question (confirmed or not)


@dataclass(frozen=True)
class Origin:
    """Who asked, for the audit line: the session's opaque reference and the address."""

    session_ref: str
    ip: str


@dataclass(frozen=True)
class StoreHealth:
    """``db``: ``ok``, ``missing`` (no file at the path), ``replaced`` (another file there
    that cannot be opened), ``unwritable`` (the probe's write failed), ``busy`` (another
    writer held the lock past the busy timeout), ``unreachable``
    (the connection itself is gone); ``reason``: what happened, in English for the
    operator ("" when ok)."""

    ok: bool
    db: str
    reason: str = ""
