"""The decision as a table: call facts + store rows + clock → outcome and reason."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from callauth.ivr.dialplan import Outcome
from callauth.ivr.presentation import Presentation
from callauth.ivr.verification import CallerRecord, CallFacts, decide, decide_code

NOW = 1_800_000_000
PHONE = "+819012345678"
SHOWN_NUMBER = "+81120111222"
OTHER_NUMBER = "+81120111333"


@dataclass(frozen=True)
class Row:
    id: int
    auth_number: str
    state: str
    expires_at: int
    code: str | None = None


def live(id_: int = 1, number: str = SHOWN_NUMBER, code: str | None = None) -> Row:
    return Row(id_, number, "pending", NOW + 60, code)


CALL = CallFacts(
    uniqueid="1.1",
    channel="Local/0120111222@auth-in-00000001;2",
    cli_raw="09012345678",
    cli_e164=PHONE,
    presentation=Presentation.SHOWN,
    presentation_reason="presented",
    dialled_raw="0120111222",
    dialled_e164=SHOWN_NUMBER,
    trusted=True,
)
REGISTERED = CallerRecord(registered=True, recent_challenges=(live(),), recent_calls=0)

CASES = [
    ("matching call verifies", CALL, REGISTERED, Outcome.VERIFIED, "verified", 1),
    (
        "untrusted path never verifies",
        replace(CALL, trusted=False, trust_reason="untrusted_context"),
        REGISTERED, Outcome.UNTRUSTED, "untrusted_context", None,
    ),
    (
        "withheld presentation",
        replace(CALL, presentation=Presentation.WITHHELD, presentation_reason="presentation_prohibited"),
        REGISTERED, Outcome.WITHHELD, "presentation_prohibited", 1,
    ),
    (
        "anonymous CLI is withheld and names no challenge",
        replace(CALL, cli_raw="anonymous", cli_e164=None, presentation=Presentation.WITHHELD,
                presentation_reason="cli_anonymous"),
        CallerRecord(False, (), 0), Outcome.WITHHELD, "cli_anonymous", None,
    ),
    (
        "unavailable presentation",
        replace(CALL, cli_raw="unknown", cli_e164=None, presentation=Presentation.UNAVAILABLE,
                presentation_reason="presentation_unavailable"),
        CallerRecord(False, (), 0), Outcome.UNAVAILABLE, "presentation_unavailable", None,
    ),
    (
        "unparsable CLI",
        replace(CALL, cli_raw="12", cli_e164=None), CallerRecord(False, (), 0),
        Outcome.NOT_MATCHED, "invalid_cli", None,
    ),
    (
        "unregistered number",
        CALL, CallerRecord(False, (), 0), Outcome.NOT_MATCHED, "unregistered_number", None,
    ),
    (
        "registered but no login waiting",
        CALL, CallerRecord(True, (), 0), Outcome.NOT_MATCHED, "no_pending_challenge", None,
    ),
    (
        "wrong auth number: the phone's one waiting page is told",
        replace(CALL, dialled_raw="0120111333", dialled_e164=OTHER_NUMBER),
        REGISTERED, Outcome.NOT_MATCHED, "wrong_auth_number", 1,
    ),
    (
        "expired by the clock though still pending in the store",
        CALL, CallerRecord(True, (Row(1, SHOWN_NUMBER, "pending", NOW),), 0),
        Outcome.EXPIRED, "challenge_expired", 1,
    ),
    (
        "expired by the sweeper",
        CALL, CallerRecord(True, (Row(1, SHOWN_NUMBER, "expired", NOW - 5),), 0),
        Outcome.EXPIRED, "challenge_expired", 1,
    ),
    (
        "repeat call after success",
        CALL, CallerRecord(True, (Row(1, SHOWN_NUMBER, "verified", NOW + 60),), 0),
        Outcome.NOT_MATCHED, "already_verified", 1,
    ),
    (
        "repeat call after the browser was let in",
        CALL, CallerRecord(True, (Row(1, SHOWN_NUMBER, "consumed", NOW + 60),), 0),
        Outcome.NOT_MATCHED, "already_verified", 1,
    ),
    (
        "cancelled challenge",
        CALL, CallerRecord(True, (Row(1, SHOWN_NUMBER, "cancelled", NOW + 60),), 0),
        Outcome.NOT_MATCHED, "no_pending_challenge", None,
    ),
    (
        "two pending challenges on the dialled number",
        CALL, CallerRecord(True, (live(2), live(1)), 0),
        Outcome.AMBIGUOUS, "several_pending_challenges", None,
    ),
    (
        "two pending challenges on separate numbers name one login",
        CALL, CallerRecord(True, (live(2, OTHER_NUMBER), live(1)), 0),
        Outcome.VERIFIED, "verified", 1,
    ),
    (
        "newest expired does not hide a live one",
        CALL, CallerRecord(True, (Row(2, SHOWN_NUMBER, "expired", NOW - 1), live(1)), 0),
        Outcome.VERIFIED, "verified", 1,
    ),
    (
        "too many calls from one number",
        CALL, replace(REGISTERED, recent_calls=10), Outcome.THROTTLED, "too_many_calls", None,
    ),
    (
        "throttling also hides whether the number is registered",
        CALL, CallerRecord(False, (), 10), Outcome.THROTTLED, "too_many_calls", None,
    ),
    (
        "a live challenge with a code on the dialled number asks for the code",
        CALL, CallerRecord(True, (live(1, code="4821"),), 0),
        Outcome.NOT_MATCHED, "code_required", None,
    ),
    (
        "two challenges sharing the number with codes ask for the code",
        CALL, CallerRecord(True, (live(2, code="1111"), live(1, code="2222")), 0),
        Outcome.NOT_MATCHED, "code_required", None,
    ),
    (
        "a code on another number does not ask for a code here",
        CALL, CallerRecord(True, (live(2, OTHER_NUMBER, "1111"), live(1)), 0),
        Outcome.VERIFIED, "verified", 1,
    ),
    (
        "dialled number that is not a number",
        replace(CALL, dialled_raw="s", dialled_e164=None),
        REGISTERED, Outcome.NOT_MATCHED, "invalid_dialled_number", None,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    "call, caller, outcome, reason, challenge_id", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_decision_table(
    call: CallFacts, caller: CallerRecord, outcome: Outcome, reason: str, challenge_id: int | None
) -> None:
    decision = decide(call, caller, NOW)
    assert (decision.outcome, decision.reason, decision.challenge_id) == (
        outcome,
        reason,
        challenge_id,
    )


def test_withheld_call_names_no_challenge_when_two_are_live() -> None:
    withheld = replace(
        CALL, presentation=Presentation.WITHHELD, presentation_reason="presentation_prohibited"
    )
    decision = decide(withheld, CallerRecord(True, (live(2), live(1)), 0), NOW)
    assert decision.outcome is Outcome.WITHHELD and decision.challenge_id is None


def test_only_verified_ever_carries_the_verified_outcome() -> None:
    for _, call, caller, *_ in CASES:
        decision = decide(call, caller, NOW)
        if decision.outcome is Outcome.VERIFIED:
            assert call.trusted and call.presentation is Presentation.SHOWN
            assert caller.registered and decision.challenge_id is not None


def test_asking_for_a_code_is_flagged_on_the_decision() -> None:
    decision = decide(CALL, CallerRecord(True, (live(1, code="4821"),), 0), NOW)
    assert decision.asks_code


SHARED = (live(2, code="1111"), live(1, code="2222"))

CODE_CASES = [
    ("the keyed code names its own challenge", SHARED, "2222", Outcome.VERIFIED, "verified_with_code", 1),
    ("the other code names the other one", SHARED, "1111", Outcome.VERIFIED, "verified_with_code", 2),
    ("a wrong code verifies nothing", SHARED, "1234", Outcome.NOT_MATCHED, "wrong_code", None),
    ("a prefix of the code is wrong", SHARED, "222", Outcome.NOT_MATCHED, "wrong_code", None),
    ("a challenge without a code cannot be keyed", (live(1),), "", Outcome.NOT_MATCHED, "wrong_code", None),
    (
        "the login expired while keying",
        (Row(1, SHOWN_NUMBER, "pending", NOW, "2222"),), "2222",
        Outcome.EXPIRED, "challenge_expired", 1,
    ),
    (
        "the login was verified elsewhere while keying",
        (Row(1, SHOWN_NUMBER, "cancelled", NOW + 60, "2222"),), "2222",
        Outcome.NOT_MATCHED, "no_pending_challenge", None,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    "rows, keyed, outcome, reason, challenge_id",
    [c[1:] for c in CODE_CASES],
    ids=[c[0] for c in CODE_CASES],
)
def test_keyed_code_table(
    rows: tuple[Row, ...], keyed: str, outcome: Outcome, reason: str, challenge_id: int | None
) -> None:
    decision = decide_code(SHOWN_NUMBER, rows, keyed, NOW)
    assert (decision.outcome, decision.reason, decision.challenge_id) == (
        outcome,
        reason,
        challenge_id,
    )


@dataclass(frozen=True)
class KinRow(Row):
    kind: str = "login"


def kin(id_: int = 7, kind: str = "phone_change", number: str = SHOWN_NUMBER) -> KinRow:
    return KinRow(id_, number, "pending", NOW + 60, None, kind)


def test_a_call_from_the_old_number_during_a_change_tells_that_change() -> None:
    caller = CallerRecord(True, (), 0, kin_challenges=(kin(),))
    decision = decide(CALL, caller, NOW)
    assert (decision.outcome, decision.reason, decision.challenge_id) == (
        Outcome.NOT_MATCHED, "old_phone", 7,
    )  # fmt: skip


def test_a_call_from_the_holders_other_number_tells_the_login() -> None:
    caller = CallerRecord(False, (), 0, kin_challenges=(kin(kind="login"),))
    decision = decide(CALL, caller, NOW)
    assert (decision.outcome, decision.reason, decision.challenge_id) == (
        Outcome.NOT_MATCHED, "other_phone", 7,
    )  # fmt: skip


@pytest.mark.parametrize(
    "caller",
    [
        CallerRecord(True, (), 0, kin_challenges=(kin(7), kin(8))),  # which one: unknown
        CallerRecord(True, (), 0, kin_challenges=(kin(number=OTHER_NUMBER),)),  # not dialled
        CallerRecord(True, (live(),), 0, kin_challenges=(kin(),)),  # its own login is there
    ],
    ids=["two waiting", "another number", "own login on the number"],
)
def test_kin_is_told_only_when_exactly_one_waits_on_the_number(caller: CallerRecord) -> None:
    assert decide(CALL, caller, NOW).reason not in ("old_phone", "other_phone")


def test_wrong_auth_number_tells_nobody_when_the_phone_has_two_logins() -> None:
    caller = CallerRecord(True, (live(1), live(2)), 0)
    dialled = replace(CALL, dialled_raw="0120111333", dialled_e164=OTHER_NUMBER)
    assert decide(dialled, caller, NOW).challenge_id is None
