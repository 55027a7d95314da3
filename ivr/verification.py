"""The verification decision: a pure function of call facts, store rows and the clock.

No I/O here, so every rule of DESIGN.md's "Verification rules" is tested as a table.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from callauth.ivr.dialplan import Outcome
from callauth.ivr.presentation import Presentation


class Challenge(Protocol):
    """The fields of a stored challenge the decision reads (``db.models.Challenge``)."""

    @property
    def id(self) -> int: ...
    @property
    def auth_number(self) -> str: ...  # E.164
    @property
    def state(self) -> str: ...  # pending | verified | consumed | expired | cancelled
    @property
    def expires_at(self) -> int: ...
    @property
    def code(self) -> str | None: ...  # the keypad code its page shows, if any


class KinChallenge(Challenge, Protocol):
    """A challenge of the caller's holder that waits for another phone."""

    @property
    def kind(self) -> str: ...  # "login" or "phone_change"


def is_live(challenge: Challenge, now: int) -> bool:
    return challenge.state == "pending" and challenge.expires_at > now


@dataclass(frozen=True)
class CallFacts:
    """What Asterisk told us about one call, already normalised."""

    uniqueid: str
    channel: str
    cli_raw: str  # the caller number as presented, for the log
    cli_e164: str | None  # None when it does not parse as a phone number
    presentation: Presentation
    presentation_reason: str
    dialled_raw: str
    dialled_e164: str | None
    trusted: bool
    trust_reason: str = "trusted"


@dataclass(frozen=True)
class CallerRecord:
    """What the store knows about the caller's number."""

    registered: bool  # some holder has this number as registered phone
    recent_challenges: Sequence[Challenge]  # this phone's challenges, newest first
    recent_calls: int  # calls from this number inside the throttle window
    #: Live challenges of the caller's own holder on the dialled number that wait for
    #: another phone: a call from the old number during a change, or the holder's other one.
    kin_challenges: Sequence[KinChallenge] = ()


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str
    challenge_id: int | None = None  # the challenge verified, or the one to tell
    #: The number alone does not name the login: ask the caller for the keypad code and
    #: decide again with :func:`decide_code`. The outcome until then is ``not_matched``.
    asks_code: bool = False
    call_id: int | None = None  # the call row, once logged (set by the service)


#: The reason logged for a call that must key the page's code (the number alone is not
#: enough); the call row keeps it if no usable code follows.
CODE_REQUIRED = "code_required"

#: More calls than this from one number inside the throttle window are refused.
DEFAULT_CALL_LIMIT = 10


def decide(
    call: CallFacts, caller: CallerRecord, now: int, call_limit: int = DEFAULT_CALL_LIMIT
) -> Decision:
    if not call.trusted:
        return Decision(Outcome.UNTRUSTED, call.trust_reason)
    if call.presentation is not Presentation.SHOWN:
        return _refused_presentation(call, caller, now)
    if call.cli_e164 is None:
        return Decision(Outcome.NOT_MATCHED, "invalid_cli")
    if caller.recent_calls >= call_limit:
        return Decision(Outcome.THROTTLED, "too_many_calls")
    if call.dialled_e164 is None:
        return Decision(Outcome.NOT_MATCHED, "invalid_dialled_number")
    kin = _kin(call.dialled_e164, caller, now)
    if kin is not None:
        return kin
    if not caller.registered:
        return Decision(Outcome.NOT_MATCHED, "unregistered_number")
    return _match(call.dialled_e164, caller.recent_challenges, now)


def _kin(dialled: str, caller: CallerRecord, now: int) -> Decision | None:
    """The caller's own holder waits on this number for another of their phones: that one
    page may be told which phone it needs (the caller hears the same not_matched)."""
    if any(is_live(c, now) and c.auth_number == dialled for c in caller.recent_challenges):
        return None
    kin = [c for c in caller.kin_challenges if is_live(c, now) and c.auth_number == dialled]
    if len(kin) != 1:
        return None
    reason = "old_phone" if kin[0].kind == "phone_change" else "other_phone"
    return Decision(Outcome.NOT_MATCHED, reason, kin[0].id)


def _match(dialled: str, challenges: Sequence[Challenge], now: int) -> Decision:
    live = [c for c in challenges if is_live(c, now)]
    on_number = [c for c in live if c.auth_number == dialled]
    if any(c.code for c in on_number):
        return Decision(Outcome.NOT_MATCHED, CODE_REQUIRED, asks_code=True)
    if len(on_number) > 1:
        return Decision(Outcome.AMBIGUOUS, "several_pending_challenges")
    if on_number:
        return Decision(Outcome.VERIFIED, "verified", on_number[0].id)
    if live:  # the phone's one waiting page may be told it called another number
        return Decision(
            Outcome.NOT_MATCHED, "wrong_auth_number", live[0].id if len(live) == 1 else None
        )
    dialled_before = [c for c in challenges if c.auth_number == dialled]
    if not dialled_before:
        return Decision(Outcome.NOT_MATCHED, "no_pending_challenge")
    last = dialled_before[0]
    if last.state in ("verified", "consumed"):
        return Decision(Outcome.NOT_MATCHED, "already_verified", last.id)
    if last.state == "expired" or (last.state == "pending" and last.expires_at <= now):
        return Decision(Outcome.EXPIRED, "challenge_expired", last.id)
    return Decision(Outcome.NOT_MATCHED, "no_pending_challenge")


def decide_code(dialled: str, challenges: Sequence[Challenge], keyed: str, now: int) -> Decision:
    """A keyed code against the live challenges of the caller on the dialled number:
    only the challenge whose code was keyed verifies; a wrong code verifies nothing."""
    on_number = [c for c in challenges if is_live(c, now) and c.auth_number == dialled]
    if not on_number:
        # The login ended while the caller was keying (expired, verified elsewhere, ...).
        return _match(dialled, challenges, now)
    matching = [
        c for c in on_number if c.code and hmac.compare_digest(c.code.encode(), keyed.encode())
    ]
    if len(matching) == 1:
        return Decision(Outcome.VERIFIED, "verified_with_code", matching[0].id)
    return Decision(Outcome.NOT_MATCHED, "wrong_code")


def _refused_presentation(call: CallFacts, caller: CallerRecord, now: int) -> Decision:
    outcome = (
        Outcome.WITHHELD if call.presentation is Presentation.WITHHELD else Outcome.UNAVAILABLE
    )
    # A trusted trunk still delivers the real number of a withheld call. When it names
    # exactly one live challenge on the dialled number, that page can say "dial 186" at
    # once. The caller hears the same refusal either way.
    live = [
        c
        for c in caller.recent_challenges
        if is_live(c, now) and c.auth_number == call.dialled_e164
    ]
    hint = live[0].id if call.cli_e164 and caller.registered and len(live) == 1 else None
    return Decision(outcome, call.presentation_reason, hint)
