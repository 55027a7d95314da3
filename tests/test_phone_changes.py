"""The change-request repository on a real SQLite file: states move only forward, once."""

from __future__ import annotations

import pytest

from callauth.db.models import ChallengeState, ChangeState, NewCall, NewPhoneChange
from callauth.db.phone_changes import PhoneChanges
from callauth.db.store import Store
from tests.conftest import FakeClock
from tests.store_support import create_on, on_number
from tests.web_support import seed_holder

pytestmark = pytest.mark.backends  # the store on SQLite and on PostgreSQL

OLD, NEW, AUTH = "+819012345678", "+818098765432", "+81120111222"


async def drafted(store: Store) -> tuple[PhoneChanges, int]:
    holder = await seed_holder(store, phone_e164=OLD)
    contract = (await store.contracts_of(holder.id))[0]
    changes = PhoneChanges(store)
    draft = await changes.draft(
        NewPhoneChange(holder.id, contract.id, "insured", OLD, NEW, "2027-01-15", "ref", "::1")
    )
    assert draft.state is ChangeState.DRAFT and draft.challenge_id is None
    return changes, draft.id


async def verify(store: Store, challenge_id: int) -> None:
    """What the call path does for a verified call (store.record_call with verify=)."""
    call = NewCall(store.clock(), "u1", "PJSIP/x", "08098765432", NEW, "shown",
                   "0120111222", AUTH, "127.0.0.1", "auth-in", "verified", "verified",
                   challenge_id)  # fmt: skip
    await store.record_call(call, verify=challenge_id)


async def test_a_challenge_on_the_new_number_and_the_old_number_in_force(store: Store) -> None:
    changes, change_id = await drafted(store)
    started = await changes.await_call(change_id, on_number(AUTH), 120, 3600)
    assert started is not None
    change, challenge = started
    assert change.state is ChangeState.AWAITING_CALL and change.challenge_id == challenge.id
    assert (challenge.phone_e164, challenge.auth_number) == (NEW, AUTH)
    assert (
        await changes.await_call(change_id, on_number(AUTH), 120, 3600) is None
    )  # only a draft starts
    holder = await store.holder(change.holder_id)
    assert holder is not None and holder.phone_e164 == OLD


async def test_complete_applies_once_and_only_after_verification(store: Store) -> None:
    changes, change_id = await drafted(store)
    started = await changes.await_call(change_id, on_number(AUTH), 120, 3600)
    assert started is not None
    challenge_id = started[1].id
    assert await changes.complete(challenge_id) is None  # still pending: nothing happens
    await verify(store, challenge_id)
    done = await changes.complete(challenge_id)
    assert done is not None and done.state is ChangeState.COMPLETED
    assert await changes.complete(challenge_id) is None  # never twice
    holder = await store.holder(done.holder_id)
    assert holder is not None and holder.phone_e164 == NEW
    challenge = await store.challenge(challenge_id)
    assert challenge is not None and challenge.state is ChallengeState.CONSUMED


async def test_a_login_challenge_never_completes_a_change(store: Store) -> None:
    changes, change_id = await drafted(store)
    login = await create_on(store, 1, "login-ref", NEW, AUTH, 120)
    await verify(store, login.id)
    assert await changes.complete(login.id) is None
    change = await changes.get(change_id)
    assert change is not None and change.state is ChangeState.DRAFT


async def test_expiry_and_cancel_leave_the_old_number(store: Store, clock: FakeClock) -> None:
    changes, first = await drafted(store)
    assert await changes.await_call(first, on_number(AUTH), 120, 3600) is not None
    clock.advance(120)
    await store.expire_due()
    assert [c.id for c in await changes.expire_due()] == [first]
    assert await changes.expire_due() == []
    _, second = await drafted_again(store, changes)
    assert await changes.cancel(second) and not await changes.cancel(second)
    holder = await store.holder(1)
    assert holder is not None and holder.phone_e164 == OLD
    events = [e.event for e in await store.audit_entries(1)]
    assert events == ["phone_change_expired", "phone_change_requested"]


async def test_a_verified_change_is_never_expired_by_a_late_sweep(
    store: Store, clock: FakeClock
) -> None:
    changes, change_id = await drafted(store)
    started = await changes.await_call(change_id, on_number(AUTH), 120, 3600)
    assert started is not None
    await verify(store, started[1].id)
    clock.advance(300)  # the apply step was missed (a crash): the sweep finds it
    assert await changes.expire_due() == []
    assert await changes.verified_waiting() == [started[1].id]
    assert await changes.complete(started[1].id) is not None


async def drafted_again(store: Store, changes: PhoneChanges) -> tuple[PhoneChanges, int]:
    draft = await changes.draft(
        NewPhoneChange(1, 1, "insured", OLD, NEW, "2027-01-15", "ref", "::1")
    )
    return changes, draft.id
