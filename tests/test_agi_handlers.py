"""The ``auth`` script end to end: simulated Asterisk → TCP → FastAGI → service → SQLite
(keypad codes: tests/test_agi_codes.py)."""

from __future__ import annotations

import logging

import pytest

from callauth.db.models import ChallengeState
from callauth.db.store import Store
from callauth.ivr.config import ConfigError, Telephony
from callauth.ivr.dialplan import Outcome
from callauth.ivr.ending import PROMPTS, hangup_cause
from callauth.ivr.simulated_scenarios import scenario
from tests.agi_support import (
    add_holder,
    call,
    call_spec,
    challenge_state,
    dialled,
    fastagi,
    last_call,
    start_challenge,
)


async def test_call_from_registered_phone_verifies_without_answering(store) -> None:
    async with fastagi(store) as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call(server, dialled=dialled(challenge))
    assert result.outcome == "verified"
    assert not result.answered and result.hangup_cause == 16
    assert result.commands == [
        "GET VARIABLE CALLERID(num-pres)",
        "SET VARIABLE CALLAUTH_RESULT verified",
        "EXEC Hangup 16",
    ]
    assert await challenge_state(store, challenge.id) is ChallengeState.VERIFIED
    assert await last_call(store) == ("verified", "verified")


@pytest.mark.parametrize(
    "cli", ["09012345678", "+819012345678", "819012345678", "0081 90-1234-5678"]
)
async def test_every_form_of_the_registered_number_verifies(store, cli: str) -> None:
    async with fastagi(store) as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call(server, caller=cli, dialled=dialled(challenge))
    assert result.outcome == "verified"
    assert await challenge_state(store, challenge.id) is ChallengeState.VERIFIED


REFUSED = [
    # (label, call arguments, outcome, reason)
    ("prohib", {"presentation": "prohib"}, "withheld", "presentation_prohibited"),
    ("sip-privacy", {"presentation": "prohib", "channel_type": "PJSIP"}, "withheld",
     "presentation_prohibited"),
    ("unavailable", {"caller": "", "presentation": "unavailable"}, "unavailable",
     "presentation_unavailable"),
    ("empty-cli", {"caller": ""}, "unavailable", "cli_empty"),
    ("anonymous", {"caller": "anonymous"}, "withheld", "cli_anonymous"),
    ("sip-untrusted-anonymous", {"presentation": "unavailable", "channel_type": "PJSIP"},
     "withheld", "cli_anonymous"),
    ("other-number", {"caller": "08011112222"}, "not_matched", "unregistered_number"),
    ("untrusted-context", {"context": "from-internal"}, "untrusted", "untrusted_context"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "kwargs", "outcome", "reason"), REFUSED, ids=[r[0] for r in REFUSED]
)
async def test_refused_call_never_verifies(store, label, kwargs, outcome, reason) -> None:
    async with fastagi(store) as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call(server, dialled=dialled(challenge), **kwargs)
    assert result.outcome == outcome
    assert not result.answered and result.hangup_cause == 21
    assert await challenge_state(store, challenge.id) is ChallengeState.PENDING
    assert await last_call(store) == (outcome, reason)


async def test_withheld_call_from_empty_originate_never_verifies(store) -> None:
    async with fastagi(store) as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call_spec(server, scenario("empty-cid", dialled=dialled(challenge)))
    assert result.outcome == "unavailable"
    assert await challenge_state(store, challenge.id) is ChallengeState.PENDING


async def test_call_to_another_auth_number_never_verifies(store) -> None:
    async with fastagi(store) as server:
        challenge = await start_challenge(server, await add_holder(store))
        other = next(n for n in server.config.auth_numbers if n != dialled(challenge))
        result = await call(server, dialled=other)
    assert result.outcome == "not_matched"
    assert await challenge_state(store, challenge.id) is ChallengeState.PENDING
    assert await last_call(store) == ("not_matched", "wrong_auth_number")


async def test_call_after_expiry_never_verifies(store, clock) -> None:
    async with fastagi(store) as server:
        challenge = await start_challenge(server, await add_holder(store))
        clock.advance(server.config.challenge_ttl + 1)
        result = await call(server, dialled=dialled(challenge))
    assert result.outcome == "expired"
    assert await challenge_state(store, challenge.id) is ChallengeState.PENDING
    assert await last_call(store) == ("expired", "challenge_expired")


async def test_repeat_call_after_success_is_not_matched(store) -> None:
    async with fastagi(store) as server:
        challenge = await start_challenge(server, await add_holder(store))
        first = await call(server, dialled=dialled(challenge))
        again = await call(server, dialled=dialled(challenge))
    assert (first.outcome, again.outcome) == ("verified", "not_matched")
    assert await last_call(store) == ("not_matched", "already_verified")


async def test_call_from_a_peer_not_allowed_never_verifies(store) -> None:
    async with fastagi(store, allowed_peers=("192.0.2.10",)) as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call(server, dialled=dialled(challenge))
    assert result.outcome == "untrusted"
    assert await challenge_state(store, challenge.id) is ChallengeState.PENDING
    assert await last_call(store) == ("untrusted", "peer_not_allowed")


async def test_caller_hanging_up_during_the_call_still_records_the_decision(store) -> None:
    async with fastagi(store) as server:
        challenge = await start_challenge(server, await add_holder(store))
        # The caller hangs up while CALLAUTH_RESULT is being set: nothing more is sent.
        result = await call(server, dialled=dialled(challenge), hangup_after=1)
    assert result.caller_hung_up and result.outcome == "verified"
    assert result.commands[-1] == "SET VARIABLE CALLAUTH_RESULT verified"
    assert await challenge_state(store, challenge.id) is ChallengeState.VERIFIED


@pytest.mark.parametrize(
    ("kwargs", "outcome"),
    [({}, Outcome.VERIFIED), ({"presentation": "prohib"}, Outcome.WITHHELD),
     ({"caller": "08011112222"}, Outcome.NOT_MATCHED)],
)  # fmt: skip
async def test_announce_mode_answers_plays_the_prompt_and_ends_with_reject_modes_cause(
    store, kwargs, outcome
) -> None:
    async with fastagi(store, call_mode="announce") as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call(server, dialled=dialled(challenge), **kwargs)
    assert result.outcome == outcome.value
    assert result.answered and result.played == (PROMPTS[outcome],)
    # Hangup(16|21), as reject mode: AGI HANGUP would leave the h extension and AMI cause 0.
    cause = 16 if outcome is Outcome.VERIFIED else 21
    assert result.commands[-3:] == [
        "ANSWER", f'STREAM FILE {PROMPTS[outcome]} ""', f"EXEC Hangup {cause}"
    ]  # fmt: skip
    assert result.hangup_cause == cause and "HANGUP" not in result.commands


async def test_a_call_answered_for_a_keypad_code_ends_with_a_cause(store) -> None:
    async with fastagi(store, code_mode="always") as server:  # reject mode, yet answered
        challenge = await start_challenge(server, await add_holder(store))
        spec = scenario("allowed", dialled=dialled(challenge), dtmf=("0000", "0000", "0000"))
        result = await call_spec(server, spec)
    assert result.answered and result.outcome == "not_matched"
    assert result.commands[-1] == "EXEC Hangup 21" and result.hangup_cause == 21


def test_every_outcome_has_a_prompt() -> None:
    assert set(PROMPTS) == set(Outcome)


async def test_failing_service_sets_error_and_rejects(db_path, clock, caplog) -> None:
    broken = await Store.open(db_path, clock)
    async with fastagi(broken) as server:
        await broken.close()  # every query now fails inside the service
        result = await call(server, dialled="0120111222")
    assert result.outcome == "error"
    # 34: SIP 503, the carrier may try again; the service, not the caller, is at fault.
    assert not result.answered and result.hangup_cause == 34
    assert any(r.levelname == "ERROR" and result.spec.uniqueid in r.getMessage()
               for r in caplog.records)  # fmt: skip


async def test_call_logs_carry_the_uniqueid_and_no_full_number(store, caplog) -> None:
    caplog.set_level(logging.INFO, logger="callauth.ivr")
    async with fastagi(store) as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call(server, dialled=dialled(challenge), hangup_after=1)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("callauth.ivr.")]
    assert any(result.spec.uniqueid in m and "hung up" in m for m in messages)
    assert not any("9012345678" in m for m in messages)


async def test_hangup_by_dialplan_returns_the_ringing_call_with_its_result(store) -> None:
    # For a carrier that needs another SIP answer: the dialplan ends it (PJSIPHangup).
    async with fastagi(store, hangup_by="dialplan") as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call(server, dialled=dialled(challenge), presentation="prohib")
    assert result.outcome == "withheld"
    assert not result.answered and result.hangup_cause is None  # still ringing, in the dialplan
    assert not any(c.startswith("EXEC") or c == "HANGUP" for c in result.commands)


def test_config_refuses_an_unknown_hangup_by() -> None:
    with pytest.raises(ConfigError, match="hangup_by"):
        Telephony(hangup_by="carrier")  # type: ignore[arg-type]


#: The README's table (asterisk-conf/README.md, "What the carrier sees"): outcome ->
#: the Q.850 cause callauth ends the call with, in reject and announce mode alike.
CAUSES = {
    Outcome.VERIFIED: 16, Outcome.WITHHELD: 21, Outcome.UNAVAILABLE: 21,
    Outcome.NOT_MATCHED: 21, Outcome.EXPIRED: 21, Outcome.AMBIGUOUS: 21,
    Outcome.THROTTLED: 21, Outcome.UNTRUSTED: 21, Outcome.ERROR: 34,
}  # fmt: skip


def test_every_outcome_ends_with_the_cause_the_readme_table_gives() -> None:
    assert {outcome: hangup_cause(outcome) for outcome in Outcome} == CAUSES
