"""The mail outbox on a real SQLite file (migration 0006)."""

from __future__ import annotations

import asyncio

import pytest

from callauth.db.outbox import CLAIM_SECONDS, Outbox
from callauth.db.store import Store
from tests.conftest import FakeClock

pytestmark = pytest.mark.backends  # the store on SQLite and on PostgreSQL


async def test_a_queued_mail_is_due_at_once_and_claimed_while_it_is_sent(
    store: Store, clock: FakeClock
) -> None:
    outbox = Outbox(store)
    mail_id = await outbox.enqueue("taro@example.jp", "件名", "本文")
    (mail,) = await outbox.due(10)
    assert (mail.id, mail.to_addr, mail.subject, mail.body) == (
        mail_id,
        "taro@example.jp",
        "件名",
        "本文",
    )
    assert await outbox.due(10) == []  # claimed: a second sender does not take it
    clock.advance(CLAIM_SECONDS)
    assert [m.id for m in await outbox.due(10)] == [mail_id]  # a crash mid-send retries it


async def test_a_sent_mail_is_never_due_again(store: Store, clock: FakeClock) -> None:
    outbox = Outbox(store)
    mail_id = await outbox.enqueue("taro@example.jp", "s", "b")
    await outbox.due(10)
    assert await outbox.mark_sent(mail_id)
    sent_at = clock.now
    assert not await outbox.mark_sent(mail_id)
    clock.advance(10 * CLAIM_SECONDS)
    assert await outbox.due(10) == []
    mail = await outbox.get(mail_id)
    assert mail is not None and mail.sent_at == sent_at and mail.attempts == 1


async def test_a_failed_mail_waits_for_its_retry_time_or_is_given_up(
    store: Store, clock: FakeClock
) -> None:
    outbox = Outbox(store)
    first = await outbox.enqueue("a@example.jp", "s", "b")
    second = await outbox.enqueue("b@example.jp", "s", "b")
    await outbox.due(10)
    await outbox.mark_failed(first, "connection refused", clock.now + 30)
    await outbox.mark_failed(second, "550 no such user", None)
    clock.advance(29)
    assert await outbox.due(10) == []
    clock.advance(1)
    (mail,) = await outbox.due(10)
    assert (mail.id, mail.attempts, mail.last_error) == (first, 1, "connection refused")
    given_up = await outbox.get(second)
    assert given_up is not None and given_up.next_attempt_at is None and given_up.sent_at is None


async def test_due_hands_out_the_oldest_first_within_the_limit(store: Store) -> None:
    outbox = Outbox(store)
    ids = [await outbox.enqueue(f"h{i}@example.jp", "s", "b") for i in range(5)]
    assert [m.id for m in await outbox.due(3)] == ids[:3]
    assert [m.id for m in await outbox.due(3)] == ids[3:]


@pytest.mark.parametrize("to", ["", "a@example.jp\r\nBcc: x@example.jp"])
async def test_a_mail_without_one_clean_recipient_is_refused(store: Store, to: str) -> None:
    with pytest.raises(ValueError, match="recipient"):
        await Outbox(store).enqueue(to, "s", "b")


async def test_enqueue_wakes_a_waiting_sender(store: Store) -> None:
    outbox = Outbox(store)
    waiter = asyncio.create_task(outbox.wait_queued(60))
    await asyncio.sleep(0)
    await outbox.enqueue("taro@example.jp", "s", "b")
    await asyncio.wait_for(waiter, 10)


async def test_any_outbox_over_the_store_wakes_the_sender(store: Store) -> None:
    waiter = asyncio.create_task(Outbox(store).wait_queued(60))
    await asyncio.sleep(0)
    await Outbox(store).enqueue("taro@example.jp", "s", "b")  # the notifier's own instance
    await asyncio.wait_for(waiter, 10)
