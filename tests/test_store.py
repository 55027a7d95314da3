"""The store against a real SQLite file: schema, guarded transitions, lookups."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3

import pytest

from callauth.db.models import ChallengeState, NewCall, NewContract, NewHolder
from callauth.db.sqlite_open import migrations
from callauth.db.store import Store
from tests.conftest import FakeClock
from tests.store_support import create_on

pytestmark = pytest.mark.backends  # the store on SQLite and on PostgreSQL

PHONE = "+819012345678"
AUTH = "+81120111222"


def a_call(clock: FakeClock, outcome: str = "verified", cli: str | None = PHONE) -> NewCall:
    return NewCall(
        received_at=clock(), uniqueid="1795548228.3", channel="Local/0120111222@auth-in-1;2",
        cli_raw="09012345678", cli_e164=cli, presentation="shown", dialled_raw="0120111222",
        dialled_e164=AUTH, peer="127.0.0.1", context="auth-in", outcome=outcome, reason=outcome,
    )  # fmt: skip


async def a_holder(store: Store, login_id: str = "demo", phone: str | None = PHONE) -> int:
    holder = await store.add_holder(NewHolder(login_id, "hash", "山田 太郎", phone_e164=phone))
    return holder.id


@pytest.mark.sqlite_only
async def test_database_is_wal_with_foreign_keys_at_the_latest_version(
    store: Store, db_path: str
) -> None:
    await a_holder(store)
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == migrations()[-1][0]


async def test_reopening_does_not_migrate_twice_or_lose_rows(db_url: str, clock: FakeClock) -> None:
    first = await Store.open(db_url, clock)
    await a_holder(first)
    await first.close()
    second = await Store.open(db_url, clock)
    try:
        assert (await second.holder_by_login("demo")) is not None
    finally:
        await second.close()


async def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await store.add_contract(999, NewContract("P-1", "家財", "2026-01-01", "2027-01-01", "x"))


async def test_duplicate_login_id_is_refused_and_leaves_the_first(store: Store) -> None:
    await a_holder(store)
    with pytest.raises(sqlite3.IntegrityError):
        await a_holder(store)
    assert await store.count_holders() == 1


async def test_contracts_round_trip(store: Store) -> None:
    holder_id = await a_holder(store)
    new = NewContract("P-1", "家財保険", "2026-04-01", "2027-04-01", "山田 太郎",
                      insured_same_as_holder=True, insured_phone_e164=PHONE, changeable_online=False)  # fmt: skip
    await store.add_contract(holder_id, new)
    (contract,) = await store.contracts_of(holder_id)
    assert contract.insured_same_as_holder is True and contract.changeable_online is False
    assert dataclasses.asdict(new).items() <= dataclasses.asdict(contract).items()


async def test_new_challenge_cancels_the_sessions_older_one(store: Store) -> None:
    holder_id = await a_holder(store)
    old = await create_on(store, holder_id, "session-1", PHONE, AUTH, 120)
    other = await create_on(store, holder_id, "session-2", PHONE, AUTH, 120)
    new = await create_on(store, holder_id, "session-1", PHONE, "+81120111333", 120)
    assert (await store.challenge(old.id)).state is ChallengeState.CANCELLED  # type: ignore[union-attr]
    assert (await store.challenge(other.id)).state is ChallengeState.PENDING  # type: ignore[union-attr]
    assert (await store.challenge(new.id)).state is ChallengeState.PENDING  # type: ignore[union-attr]


async def test_a_challenge_is_verified_once_only(store: Store, clock: FakeClock) -> None:
    holder_id = await a_holder(store)
    challenge = await create_on(store, holder_id, "s", PHONE, AUTH, 120)
    first, second = await asyncio.gather(
        store.record_call(a_call(clock), verify=challenge.id),
        store.record_call(a_call(clock), verify=challenge.id),
    )
    assert sorted([first.outcome, second.outcome]) == ["not_matched", "verified"]
    loser = first if first.outcome == "not_matched" else second
    assert loser.reason == "challenge_changed"
    stored = await store.challenge(challenge.id)
    assert stored is not None and stored.state is ChallengeState.VERIFIED
    assert stored.verified_call_id in (first.id, second.id)
    assert {c.outcome for c in await store.recent_calls()} == {"verified", "not_matched"}


async def test_an_expired_challenge_cannot_be_verified(store: Store, clock: FakeClock) -> None:
    holder_id = await a_holder(store)
    challenge = await create_on(store, holder_id, "s", PHONE, AUTH, 120)
    clock.advance(120)
    call = await store.record_call(a_call(clock), verify=challenge.id)
    assert call.outcome == "not_matched"
    assert (await store.challenge(challenge.id)).state is ChallengeState.PENDING  # type: ignore[union-attr]
    assert await store.expire_due() == [challenge.id]
    assert await store.expire_due() == []


async def test_expired_challenge_is_never_resurrected(store: Store, clock: FakeClock) -> None:
    holder_id = await a_holder(store)
    challenge = await create_on(store, holder_id, "s", PHONE, AUTH, 10)
    clock.advance(11)
    await store.expire_due()
    assert not await store.cancel_challenge(challenge.id)
    assert not await store.consume_challenge(challenge.id)
    assert (await store.challenge(challenge.id)).state is ChallengeState.EXPIRED  # type: ignore[union-attr]


async def test_consume_only_after_verification(store: Store, clock: FakeClock) -> None:
    holder_id = await a_holder(store)
    challenge = await create_on(store, holder_id, "s", PHONE, AUTH, 120)
    assert not await store.consume_challenge(challenge.id)
    await store.record_call(a_call(clock), verify=challenge.id)
    assert await store.consume_challenge(challenge.id)
    assert not await store.consume_challenge(challenge.id)


async def test_waiting_subscribers_hear_the_verification(store: Store, clock: FakeClock) -> None:
    holder_id = await a_holder(store)
    challenge = await create_on(store, holder_id, "s", PHONE, AUTH, 120)
    with store.events.subscribe(challenge.id) as queue:
        await store.record_call(a_call(clock), verify=challenge.id)
        event = await asyncio.wait_for(queue.get(), 1)
    assert (event.challenge_id, event.kind) == (challenge.id, "verified")
    assert store.events.listeners == 0


async def test_caller_rows_report_registration_challenges_and_recent_calls(
    store: Store, clock: FakeClock
) -> None:
    holder_id = await a_holder(store)
    unknown = await store.caller_rows("+819099999999", 3600, 60)
    assert (unknown.registered, unknown.recent_challenges, unknown.recent_calls) == (False, (), 0)
    older = await create_on(store, holder_id, "a", PHONE, AUTH, 120)
    clock.advance(1)
    newer = await create_on(store, holder_id, "b", PHONE, "+81120111333", 120)
    await store.record_call(a_call(clock, "not_matched"))
    clock.advance(61)
    await store.record_call(a_call(clock, "not_matched"))
    rows = await store.caller_rows(PHONE, 3600, 60)
    assert rows.registered
    assert [c.id for c in rows.recent_challenges] == [newer.id, older.id]
    assert rows.recent_calls == 1


@pytest.mark.sqlite_only
async def test_pending_lookup_uses_an_index(store: Store, db_path: str) -> None:
    await a_holder(store)
    with sqlite3.connect(db_path) as raw:
        plans = [
            " ".join(r[3] for r in raw.execute(f"EXPLAIN QUERY PLAN {sql}", args))
            for sql, args in [
                ("SELECT * FROM challenges WHERE phone_e164 = ? AND created_at > ?", (PHONE, 0)),
                ("SELECT 1 FROM holders WHERE phone_e164 = ?", (PHONE,)),
                ("SELECT count(*) FROM calls WHERE cli_e164 = ? AND received_at > ?", (PHONE, 0)),
                (
                    "SELECT auth_number FROM challenges WHERE phone_e164 = ? AND state = 'pending'"
                    " AND expires_at > ?",
                    (PHONE, 0),
                ),  # fmt: skip
            ]
        ]
    assert all("USING" in plan and "INDEX" in plan for plan in plans), plans


async def test_sessions_expire_and_purge(store: Store, clock: FakeClock) -> None:
    await store.save_session("k", '{"a": 1}', 60)
    assert await store.load_session("k") == '{"a": 1}'
    clock.advance(61)
    assert await store.load_session("k") is None
    assert await store.purge_sessions() == 1


async def test_audit_trail_keeps_order_and_holder(store: Store) -> None:
    holder_id = await a_holder(store)
    await store.audit(holder_id, "login_failed", ip="127.0.0.1")
    await store.audit(holder_id, "login", ip="127.0.0.1")
    await store.audit(None, "login_failed", detail="unknown id")
    assert [e.event for e in await store.audit_entries(holder_id)] == ["login", "login_failed"]
    assert len(await store.audit_entries()) == 3


async def test_a_withheld_call_leaves_its_hint_on_the_pending_challenge_it_names(
    store: Store, clock: FakeClock
) -> None:
    challenge = await create_on(store, await a_holder(store), "s1", PHONE, AUTH, 120)
    assert challenge.hint is None
    withheld = dataclasses.replace(a_call(clock, "withheld"), challenge_id=challenge.id)
    await store.record_call(withheld)
    stored = await store.challenge(challenge.id)
    assert stored is not None and stored.hint == "withheld_call"
    unavailable = dataclasses.replace(a_call(clock, "unavailable"), challenge_id=challenge.id)
    await store.record_call(unavailable)  # the latest refusal is the one to explain
    stored = await store.challenge(challenge.id)
    assert stored is not None and stored.hint == "unavailable_call"


async def test_a_refused_call_leaves_no_hint_on_a_challenge_that_is_over(
    store: Store, clock: FakeClock
) -> None:
    challenge = await create_on(store, await a_holder(store), "s1", PHONE, AUTH, 120)
    await store.cancel_challenge(challenge.id)
    await store.record_call(
        dataclasses.replace(a_call(clock, "withheld"), challenge_id=challenge.id)
    )
    stored = await store.challenge(challenge.id)
    assert stored is not None and stored.hint is None
