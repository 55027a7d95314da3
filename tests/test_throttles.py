"""Login throttles in the store (db/throttles.py): the policy, one counter at a time, on a
real SQLite file with a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from callauth.db.store import Store
from callauth.db.throttle_policy import SLOW_SPACING, Attempt, ThrottlePolicy, Verdict
from callauth.db.throttles import Throttles
from tests.conftest import FakeClock

pytestmark = pytest.mark.backends  # the store on SQLite and on PostgreSQL

POLICY = ThrottlePolicy(limit=3, window=900, id_lock=20)  # slowed from 12, address limit 12
A, B = "192.0.2.1", "192.0.2.2"


@pytest.fixture
async def throttles(store: Store) -> Throttles:
    return Throttles(store, POLICY)


async def fail(throttles: Throttles, login_id: str, address: str) -> Attempt:
    """One attempt whose password turned out wrong: what the page then shows."""
    attempt = await throttles.reserve(login_id, address)
    if attempt.verdict is Verdict.CHECK:
        return attempt.after_failure() or attempt
    return attempt


async def test_the_limit_th_attempt_is_checked_and_its_failure_starts_the_back_off(
    throttles: Throttles, clock: FakeClock
) -> None:
    assert (await fail(throttles, "yamada", A)).verdict is Verdict.CHECK
    assert (await fail(throttles, "yamada", A)).verdict is Verdict.CHECK
    assert await fail(throttles, "yamada", A) == Attempt(Verdict.WAIT, 30)
    assert await throttles.reserve("yamada", A) == Attempt(Verdict.WAIT, 30)
    clock.advance(30)
    assert await fail(throttles, "yamada", A) == Attempt(Verdict.WAIT, 60)  # doubled
    clock.advance(60)
    assert await fail(throttles, "yamada", A) == Attempt(Verdict.WAIT, 120)


async def test_the_back_off_never_exceeds_the_window(
    throttles: Throttles, clock: FakeClock
) -> None:
    waits = []
    for _ in range(10):
        attempt = await fail(throttles, "yamada", A)
        waits.append(attempt.wait)
        clock.advance(max(attempt.wait, 1))
    assert max(waits) == POLICY.window
    assert waits[-1] == POLICY.window


async def test_concurrent_reservations_never_pass_more_than_the_limit(
    throttles: Throttles,
) -> None:
    attempts = await asyncio.gather(*(throttles.reserve("yamada", A) for _ in range(40)))
    assert sum(a.verdict is Verdict.CHECK for a in attempts) == POLICY.limit


async def test_another_address_is_not_held_back_by_a_strangers_failures(
    throttles: Throttles,
) -> None:
    for _ in range(5):
        await fail(throttles, "yamada", A)
    assert (await throttles.reserve("yamada", A)).verdict is Verdict.WAIT
    assert (await throttles.reserve("yamada", B)).verdict is Verdict.CHECK


async def test_one_address_guessing_many_ids_is_held_back_across_them(
    throttles: Throttles,
) -> None:
    for n in range(POLICY.address_limit):
        assert (await throttles.reserve(f"guess{n}", A)).verdict is Verdict.CHECK
    assert (await throttles.reserve("yamada", A)).verdict is Verdict.WAIT
    assert (await throttles.reserve("yamada", B)).verdict is Verdict.CHECK


async def test_a_success_resets_the_pair_but_gives_the_address_back_only_one_attempt(
    throttles: Throttles,
) -> None:
    for n in range(POLICY.address_limit - 1):
        await throttles.reserve(f"guess{n}", A)
    await throttles.reserve("yamada", A)
    await throttles.succeed("yamada", A)
    assert (await throttles.reserve("other", A)).verdict is Verdict.CHECK
    assert (await throttles.reserve("other2", A)).verdict is Verdict.WAIT


async def _spread_failures(throttles: Throttles, clock: FakeClock, login_id: str, n: int) -> int:
    """``n`` failures on one ID from ever new addresses (no pair or address back-off),
    waiting out the ID's slow-down; returns the next free address number."""
    address = 10
    for _ in range(n):
        while (attempt := await throttles.reserve(login_id, f"198.51.100.{address}")).verdict is (
            Verdict.WAIT
        ):
            clock.advance(attempt.wait)
        assert attempt.verdict is Verdict.CHECK
        address += 1
    return address


async def test_many_addresses_slow_the_id_but_not_the_holders_own_address(
    throttles: Throttles, clock: FakeClock
) -> None:
    await throttles.reserve("yamada", A)
    await throttles.succeed("yamada", A)  # A is now the holder's own address
    await _spread_failures(throttles, clock, "yamada", POLICY.slow_after)
    stranger = await throttles.reserve("yamada", "203.0.113.9")
    assert stranger == Attempt(Verdict.WAIT, SLOW_SPACING)
    assert (await throttles.reserve("yamada", A)).verdict is Verdict.CHECK
    clock.advance(SLOW_SPACING)
    assert (await throttles.reserve("yamada", "203.0.113.9")).verdict is Verdict.CHECK


async def test_the_id_ceiling_locks_every_address_until_unlocked(
    throttles: Throttles, clock: FakeClock
) -> None:
    await throttles.reserve("yamada", A)
    await throttles.succeed("yamada", A)
    await _spread_failures(throttles, clock, "yamada", POLICY.id_lock - 1)
    clock.advance(SLOW_SPACING)
    last = await throttles.reserve("yamada", "203.0.113.1")
    assert last.verdict is Verdict.CHECK and last.locks_on_failure
    assert last.after_failure() == Attempt(Verdict.LOCKED)
    assert (await throttles.reserve("yamada", A)).verdict is Verdict.LOCKED
    clock.advance(365 * 86400)  # time alone never unlocks
    assert (await throttles.reserve("yamada", A)).verdict is Verdict.LOCKED
    state = await throttles.state("yamada")
    assert state.locked and state.consecutive_failures == POLICY.id_lock
    before = await throttles.unlock("yamada")
    assert before == state
    assert (await throttles.reserve("yamada", A)).verdict is Verdict.CHECK
    assert (await throttles.state("yamada")).consecutive_failures == 1


async def test_a_success_resets_the_consecutive_failures_of_the_id(
    throttles: Throttles, clock: FakeClock
) -> None:
    await _spread_failures(throttles, clock, "yamada", POLICY.id_lock - 1)
    await throttles.succeed("yamada", "198.51.100.10")
    assert (await throttles.state("yamada")).consecutive_failures == 0


async def test_throttles_survive_a_restart_and_are_shared_by_stores_on_one_database(
    db_url: str, clock: FakeClock
) -> None:
    first_store = await Store.open(db_url, clock)
    second_store = await Store.open(db_url, clock)  # another process (instance), one database
    try:
        first, second = Throttles(first_store, POLICY), Throttles(second_store, POLICY)
        for _ in range(POLICY.limit):
            await fail(first, "yamada", A)
        assert (await second.reserve("yamada", A)).verdict is Verdict.WAIT
    finally:
        await second_store.close()
        await first_store.close()
    reopened = await Store.open(db_url, clock)
    try:
        assert (await Throttles(reopened, POLICY).reserve("yamada", A)).verdict is Verdict.WAIT
    finally:
        await reopened.close()


async def test_purge_forgets_what_holds_nothing_back_and_keeps_locks_and_own_addresses(
    throttles: Throttles, clock: FakeClock
) -> None:
    await throttles.reserve("yamada", A)
    await throttles.succeed("yamada", A)
    await fail(throttles, "stranger", B)
    await _spread_failures(throttles, clock, "locked", POLICY.id_lock)
    clock.advance(2 * POLICY.window)
    assert await throttles.purge() > 0
    assert (await throttles.state("locked")).locked
    assert (await throttles.state("stranger")).consecutive_failures == 1  # under a month
    clock.advance(31 * 86400)
    await throttles.purge()
    assert (await throttles.state("stranger")).consecutive_failures == 0
    assert (await throttles.state("locked")).locked
