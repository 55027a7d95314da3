"""Keypad codes in the ``auth`` script end to end (simulated Asterisk → TCP → FastAGI →
service → SQLite): two tabs on a pool of one, wrong codes, silence, a missing prompt, a
hang-up at the prompt."""

from __future__ import annotations

import logging

from callauth.db.models import ChallengeState
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


async def test_two_tabs_on_a_pool_of_one_each_get_a_code(store) -> None:
    async with fastagi(store, auth_numbers=("0120111222",)) as server:
        holder = await add_holder(store)
        first = await start_challenge(server, holder, "tab-1")
        second = await start_challenge(server, holder, "tab-2")
    first, second = [await store.challenge(c.id) for c in (first, second)]  # type: ignore[misc]
    assert first is not None and second is not None
    assert first.code and second.code and first.code != second.code


async def test_with_a_pool_of_one_each_tabs_code_verifies_its_own_tab_only(store) -> None:
    async with fastagi(store, auth_numbers=("0120111222",)) as server:
        holder = await add_holder(store)
        await start_challenge(server, holder, "tab-1")
        second = await start_challenge(server, holder, "tab-2")
        first = await store.challenge(1)
        assert first is not None and first.code and second.code
        result = await call(server, dialled="0120111222", dtmf=(second.code,))
        assert result.outcome == "verified"
        assert await challenge_state(store, second.id) is ChallengeState.VERIFIED
        # The first tab ended with it: one call completes one login of the holder.
        assert await challenge_state(store, first.id) is ChallengeState.CANCELLED
    assert result.answered and "callauth/enter_code" in result.played[0]
    assert await last_call(store) == ("verified", "verified_with_code")


async def test_a_wrong_code_verifies_nothing_and_counts_on_the_call(store) -> None:
    async with fastagi(store, auth_numbers=("0120111222",)) as server:
        holder = await add_holder(store)
        tabs = [await start_challenge(server, holder, f"tab-{i}") for i in (1, 2)]
        codes = {(await store.challenge(t.id)).code for t in tabs}  # type: ignore[union-attr]
        wrong = next(c for c in ("0000", "1111", "2222") if c not in codes)
        result = await call(server, dialled="0120111222", dtmf=(wrong, wrong, wrong))
    assert result.outcome == "not_matched"
    for tab in tabs:
        assert await challenge_state(store, tab.id) is ChallengeState.PENDING
    (logged,) = await store.recent_calls(1)
    assert (logged.outcome, logged.reason, logged.wrong_codes) == ("not_matched", "wrong_code", 3)
    assert result.played.count("callauth/wrong_code") == 2
    rows = await store.caller_rows("+819012345678", 3600, 60)
    assert rows.recent_calls == 4  # the call and its three wrong codes


async def test_a_wrong_code_then_the_right_one_verifies(store) -> None:
    async with fastagi(store, code_mode="always") as server:
        challenge = await start_challenge(server, await add_holder(store))
        assert challenge.code is not None
        wrong = "0000" if challenge.code != "0000" else "1111"
        result = await call(server, dialled=dialled(challenge), dtmf=(wrong, challenge.code))
    assert result.outcome == "verified"
    assert await challenge_state(store, challenge.id) is ChallengeState.VERIFIED
    (logged,) = await store.recent_calls(1)
    assert (logged.reason, logged.wrong_codes) == ("verified_with_code", 1)


async def test_silence_at_the_code_prompt_verifies_nothing(store) -> None:
    async with fastagi(store, code_mode="always") as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call(server, dialled=dialled(challenge), dtmf=("", "#", ""))
    assert result.outcome == "not_matched"
    assert await challenge_state(store, challenge.id) is ChallengeState.PENDING
    # The log row keeps the reason the call asked for a code: none usable came.
    assert await last_call(store) == ("not_matched", "code_required")
    assert [c for c in result.commands if c.startswith("GET DATA")] == [
        "GET DATA callauth/enter_code 5000 4"
    ] * 3


async def test_a_missing_code_prompt_falls_back_to_a_beep_and_still_takes_the_code(store) -> None:
    async with fastagi(store, code_mode="always") as server:
        challenge = await start_challenge(server, await add_holder(store))
        assert challenge.code is not None
        spec = scenario("allowed", dialled=dialled(challenge), dtmf=(challenge.code,))
        result = await call_spec(server, spec, sounds=lambda name: name == "beep")
    assert result.outcome == "verified"
    assert [c for c in result.commands if c.startswith("GET DATA")] == [
        "GET DATA callauth/enter_code 5000 4",
        "GET DATA beep 5000 4",
    ]


async def test_hanging_up_at_the_code_prompt_verifies_nothing(store, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with fastagi(store, code_mode="always") as server:
        challenge = await start_challenge(server, await add_holder(store))
        # The caller hangs up while the first GET DATA waits (the third command).
        spec = scenario("allowed", dialled=dialled(challenge), hangup_after=2)
        result = await call_spec(server, spec)
    assert result.caller_hung_up and result.outcome is None
    assert await challenge_state(store, challenge.id) is ChallengeState.PENDING
    assert await last_call(store) == ("not_matched", "code_required")
    assert "ended by the caller" in caplog.text
