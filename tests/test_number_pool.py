"""Which number and code a new challenge gets, from the numbers its phone was shown."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from callauth.ivr.number_pool import CodeMode, allocate, needed_pool_size

NOW = 1_800_000_000
DAY = 86400
POOL = ("+81120111222", "+81120111333", "+81120111444")
A, B, C = POOL


@dataclass(frozen=True)
class Row:
    id: int
    auth_number: str
    created_at: int
    state: str = "expired"
    expires_at: int = NOW - 1
    code: str | None = None


def live(id_: int, number: str, code: str | None = None, at: int = NOW - 10) -> Row:
    return Row(id_, number, at, "pending", NOW + 100, code)


def first(numbers: Sequence[str]) -> str:
    return numbers[0]


def codes() -> itertools.count[int]:
    return itertools.count(1000)


def run(shown: Sequence[Row], mode: CodeMode = CodeMode.FALLBACK, pool: Sequence[str] = POOL):
    counter = codes()
    return allocate(
        pool, shown, now=NOW, cooldown=DAY, code_mode=mode, choice=first,
        new_code=lambda: str(next(counter)),
    )  # fmt: skip


def test_a_phone_never_shown_a_number_gets_one_without_a_code() -> None:
    chosen = run([])
    assert chosen.auth_number in POOL and chosen.code is None and not chosen.recoded


def test_numbers_shown_within_the_cooldown_are_avoided() -> None:
    chosen = run([Row(1, A, NOW - 3600), Row(2, B, NOW - 60)])
    assert (chosen.auth_number, chosen.code) == (C, None)


def test_a_number_shown_before_the_cooldown_is_fresh_again() -> None:
    chosen = run([Row(1, A, NOW - DAY - 1), Row(2, B, NOW - 60), Row(3, C, NOW - 60)])
    assert (chosen.auth_number, chosen.code) == (A, None)


def test_every_number_shown_recently_gives_the_least_recent_free_one_with_a_code() -> None:
    shown = [Row(1, A, NOW - 60), Row(2, B, NOW - 7200), live(3, C)]
    chosen = run(shown)
    assert chosen.auth_number == B and chosen.code is not None and not chosen.recoded


def test_an_expired_number_is_never_handed_back_without_a_code() -> None:
    # The attack: eight logins use the pool up; the ninth must not get the holder's expired
    # number back as a code-less challenge that the holder's redial would complete.
    for expired in POOL:
        shown = [Row(1, expired, NOW - 100)] + [
            live(i + 2, n) for i, n in enumerate(POOL) if n != expired
        ]
        chosen = run(shown)
        assert chosen.code is not None


def test_a_shared_number_gets_a_code_and_the_live_challenge_on_it_gets_one_too() -> None:
    shown = [live(1, A), live(2, B, code="5555"), live(3, C, at=NOW - 5)]
    chosen = run(shown)
    assert chosen.auth_number == A and chosen.code is not None
    assert set(chosen.recoded) == {1}
    assert chosen.recoded[1] != chosen.code


def test_codes_on_one_number_are_distinct() -> None:
    taken = "1000"
    shown = [live(1, A, code=taken)]
    chosen = run(shown, pool=(A,))
    assert chosen.code not in (None, taken)


@pytest.mark.parametrize("pool_size", [1, 2, 3])
def test_any_number_of_logins_never_leaves_two_code_less_challenges_on_one_number(
    pool_size: int,
) -> None:
    pool = POOL[:pool_size]
    shown: list[Row] = []
    for index in range(12):
        chosen = allocate(pool, shown, now=NOW, cooldown=DAY)
        shown = [
            Row(r.id, r.auth_number, r.created_at, r.state, r.expires_at,
                chosen.recoded.get(r.id, r.code))
            for r in shown
        ]  # fmt: skip
        shown.append(live(index + 100, chosen.auth_number, chosen.code, at=NOW - 50 + index))
        for number in pool:
            on_it = [r for r in shown if r.auth_number == number]
            if len(on_it) > 1:
                assert all(r.code for r in on_it)
                assert len({r.code for r in on_it}) == len(on_it)


def test_always_mode_puts_a_code_on_a_fresh_number() -> None:
    assert run([], CodeMode.ALWAYS).code is not None


def test_never_mode_shares_a_number_without_codes() -> None:
    chosen = run([live(1, A), live(2, B), live(3, C)], CodeMode.NEVER)
    assert chosen.code is None and not chosen.recoded


def test_the_default_pool_holds_the_default_live_logins_and_their_reissues() -> None:
    assert needed_pool_size(max_live=2, reissue_limit=3) == 8
