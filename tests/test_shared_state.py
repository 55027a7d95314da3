"""What several instances on one database share, and what they do at once: two stores
on one database are two instances (two processes on one SQLite file, or two servers on
one PostgreSQL). Logins drawn on both never share a number without codes, a challenge is
verified and expired once, sessions and the mail queue are the database's, not a process's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from callauth.db.outbox import Outbox
from callauth.db.store import Store
from callauth.ivr.config import Config
from callauth.ivr.service import VerificationService
from tests.conftest import FakeClock
from tests.store_support import assert_pool_promises, create_on
from tests.test_store import AUTH, PHONE, a_call, a_holder

pytestmark = pytest.mark.backends  # the store on SQLite and on PostgreSQL


@pytest.fixture
async def other(db_url: str, store: Store, clock: FakeClock) -> AsyncIterator[Store]:
    """A second instance on the database of ``store``."""
    other = await Store.open(db_url, clock)
    try:
        yield other
    finally:
        await other.close()


async def test_logins_on_two_instances_at_once_never_share_a_number_without_codes(
    store: Store, other: Store
) -> None:
    services = [VerificationService(s, Config()) for s in (store, other)]
    holders = [await a_holder(store, f"h{i}", f"+8190000000{i % 3:02d}") for i in range(6)]
    created = await asyncio.gather(*(
        services[n % 2].start_challenge(h, f"+8190000000{i % 3:02d}", f"s-{n}-{h}")
        for n in range(20) for i, h in enumerate(holders)
    ))  # fmt: skip
    assert all(created)
    await assert_pool_promises(store, created, Config().telephony.max_live_challenges)


async def test_one_challenge_called_on_both_instances_at_once_is_verified_once(
    store: Store, other: Store, clock: FakeClock
) -> None:
    challenge = await create_on(store, await a_holder(store), "s", PHONE, AUTH, 120)
    calls = await asyncio.gather(
        *(s.record_call(a_call(clock), verify=challenge.id) for s in (store, other, store, other))
    )
    assert sorted(c.outcome for c in calls) == ["not_matched"] * 3 + ["verified"]


async def test_housekeeping_on_every_instance_at_once_expires_each_challenge_once(
    store: Store, other: Store, clock: FakeClock
) -> None:
    holder = await a_holder(store)
    due = {(await create_on(store, holder, f"s{i}", PHONE, AUTH, 60)).id for i in range(30)}
    clock.advance(60)
    sweeps = await asyncio.gather(*(s.expire_due() for s in (store, other, store, other)))
    assert sorted(i for sweep in sweeps for i in sweep) == sorted(due)


async def test_a_session_saved_on_one_instance_is_read_on_the_other(
    store: Store, other: Store
) -> None:
    await store.save_session("k" * 43, '{"holder": 1}', 600)
    assert await other.load_session("k" * 43) == '{"holder": 1}'


async def test_senders_on_two_instances_never_claim_the_same_mail(
    store: Store, other: Store
) -> None:
    mails = {await Outbox(store).enqueue(f"h{i}@example.jp", "件名", "本文") for i in range(20)}
    claims = await asyncio.gather(*(Outbox(s).due(7) for s in (store, other, store, other)))
    claimed = [mail.id for batch in claims for mail in batch]
    assert sorted(claimed) == sorted(mails)
