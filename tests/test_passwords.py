"""The bounded password pool (ivr/passwords.py): real argon2 on real threads."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from callauth.ivr.passwords import PasswordPool, PasswordPoolBusy, PoolCollector, hash_password


@pytest.fixture
async def pool() -> AsyncIterator[PasswordPool]:
    pool = PasswordPool(workers=1, queue=1)
    yield pool
    pool.close()


async def test_a_full_pool_refuses_at_once_and_a_finished_check_frees_its_place(
    pool: PasswordPool,
) -> None:
    stored = await hash_password("secret")
    with pool.ticket() as first, pool.ticket() as second:
        with pytest.raises(PasswordPoolBusy):
            pool.ticket()
        assert await first.verify(stored, "secret")
        assert not await second.verify(stored, "wrong")
    assert pool.in_use == 0  # given back by the worker before verify returned
    with pool.ticket() as third:
        assert await third.verify(None, "secret") is False  # an unknown login ID
    assert (pool.checks, pool.refused) == (3, 1)


async def test_reserved_places_are_only_for_familiar_addresses() -> None:
    pool = PasswordPool(workers=1, queue=0, reserved=1)
    try:
        with pool.ticket(), pool.ticket(familiar=True):
            with pytest.raises(PasswordPoolBusy):
                pool.ticket(familiar=True)
        with pool.ticket():
            with pytest.raises(PasswordPoolBusy):
                pool.ticket()
    finally:
        pool.close()


async def test_a_ticket_given_back_unused_frees_its_place(pool: PasswordPool) -> None:
    for _ in range(5):
        with pool.ticket(), pool.ticket():
            pass
    assert pool.in_use == 0 and pool.checks == 0


async def test_a_ticket_checks_one_password_only(pool: PasswordPool) -> None:
    with pool.ticket() as ticket:
        await ticket.verify(None, "x")
        with pytest.raises(RuntimeError):
            await ticket.verify(None, "y")


async def test_the_pool_counters_are_metrics(pool: PasswordPool) -> None:
    registry = CollectorRegistry()
    registry.register(PoolCollector(pool))
    with pool.ticket() as ticket:
        await ticket.verify(None, "x")
    text = generate_latest(registry).decode()
    assert "callauth_password_checks_total 1.0" in text
    assert "callauth_password_pool_refused_total 0.0" in text
