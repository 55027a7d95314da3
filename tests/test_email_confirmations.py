"""E-mail confirmations on a real SQLite file: the address changes only with its code."""

from __future__ import annotations

import asyncio

import pytest

from callauth.db.email_confirmations import ConfirmOutcome, EmailConfirmations, Origin
from callauth.db.models import NewHolder
from callauth.db.profiles import Profiles
from callauth.db.store import Store
from tests.conftest import FakeClock

pytestmark = pytest.mark.backends  # the store on SQLite and on PostgreSQL

ORIGIN = Origin("ref-1", "192.0.2.1")


async def _holder(store: Store) -> int:
    holder = await store.add_holder(NewHolder("yamada", "h", "山田 太郎", email="old@example.jp"))
    return holder.id


async def test_the_address_changes_only_when_its_code_comes_back(store: Store) -> None:
    confirmations = EmailConfirmations(store)
    holder_id = await _holder(store)
    pending = await confirmations.start(holder_id, "hanako@example.jp", "123456", 1800, 5, ORIGIN)
    assert pending is not None and pending.email == "hanako@example.jp"
    holder = await store.holder(holder_id)
    assert holder is not None and holder.email == "old@example.jp"
    result = await confirmations.confirm(holder_id, "123456", 5, ORIGIN)
    assert result.outcome is ConfirmOutcome.CONFIRMED
    holder = await store.holder(holder_id)
    assert holder is not None and holder.email == "hanako@example.jp"
    assert holder.email_confirmed_at == store.clock()
    events = [(e.event, e.detail) for e in await store.audit_entries(holder_id)]
    assert events[0] == (
        "email_changed", "old o***@example.jp new h***@example.jp confirmed by code session ref-1"
    )  # fmt: skip
    assert events[1] == ("email_confirmation_sent", "h***@example.jp session ref-1")
    again = await confirmations.confirm(holder_id, "123456", 5, ORIGIN)
    assert again.outcome is ConfirmOutcome.NONE  # used once: nothing waits any more


async def test_five_wrong_codes_lock_the_address_even_the_right_one_after(store: Store) -> None:
    confirmations = EmailConfirmations(store)
    holder_id = await _holder(store)
    await confirmations.start(holder_id, "hanako@example.jp", "123456", 1800, 5, ORIGIN)
    results = await asyncio.gather(
        *(confirmations.confirm(holder_id, f"00000{i}", 5, ORIGIN) for i in range(8))
    )
    assert [r.outcome for r in results].count(ConfirmOutcome.WRONG_CODE) == 4
    # Each try counts in its own unit, in whatever order a database with a pool runs them.
    assert sorted((r.tries_left for r in results), reverse=True) == [4, 3, 2, 1, 0, 0, 0, 0]
    assert (
        await confirmations.confirm(holder_id, "123456", 5, ORIGIN)
    ).outcome is ConfirmOutcome.LOCKED
    holder = await store.holder(holder_id)
    assert holder is not None and holder.email == "old@example.jp"
    assert "email_confirmation_locked" in [e.event for e in await store.audit_entries(holder_id)]


async def test_an_expired_code_confirms_nothing(store: Store, clock: FakeClock) -> None:
    confirmations = EmailConfirmations(store)
    holder_id = await _holder(store)
    await confirmations.start(holder_id, "hanako@example.jp", "123456", 1800, 5, ORIGIN)
    clock.advance(1800)
    assert await confirmations.pending_of(holder_id) is None
    result = await confirmations.confirm(holder_id, "123456", 5, ORIGIN)
    assert result.outcome is ConfirmOutcome.EXPIRED
    holder = await store.holder(holder_id)
    assert (
        holder is not None
        and holder.email == "old@example.jp"
        and holder.email_confirmed_at is None
    )


async def test_a_new_code_replaces_the_old_one(store: Store) -> None:
    confirmations = EmailConfirmations(store)
    holder_id = await _holder(store)
    await confirmations.start(holder_id, "first@example.jp", "111111", 1800, 5, ORIGIN)
    await confirmations.start(holder_id, "second@example.jp", "222222", 1800, 5, ORIGIN)
    assert (
        await confirmations.confirm(holder_id, "111111", 5, ORIGIN)
    ).outcome is ConfirmOutcome.WRONG_CODE
    result = await confirmations.confirm(holder_id, "222222", 5, ORIGIN)
    assert (result.outcome, result.email) == (ConfirmOutcome.CONFIRMED, "second@example.jp")


async def test_codes_sent_to_one_holder_are_limited_per_hour(
    store: Store, clock: FakeClock
) -> None:
    confirmations = EmailConfirmations(store)
    holder_id = await _holder(store)
    for _ in range(3):
        assert await confirmations.start(holder_id, "h@example.jp", "1", 1800, 3, ORIGIN)
    assert await confirmations.start(holder_id, "h@example.jp", "1", 1800, 3, ORIGIN) is None
    assert (await store.audit_entries(holder_id))[0].event == "email_confirmation_refused"
    clock.advance(3600)
    assert await confirmations.start(holder_id, "h@example.jp", "1", 1800, 3, ORIGIN)


async def test_a_plain_email_change_is_not_a_confirmed_one(store: Store) -> None:
    holder_id = await _holder(store)
    assert await EmailConfirmations(store).mark_confirmed(holder_id, "demo data")
    await Profiles(store).set_email(holder_id, "new@example.jp", "ref", "")
    holder = await store.holder(holder_id)
    assert holder is not None and holder.email_confirmed_at is None
