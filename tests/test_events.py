"""db/events.py: challenge events reach every waiting listener, bounded per listener."""

from __future__ import annotations

import asyncio

from callauth.db.events import ChallengeEvents
from callauth.db.models import ChallengeEvent, ChallengeState, EventKind
from callauth.db.subscription import QUEUE_LIMIT


async def test_a_waiting_listener_gets_the_event_published_for_its_challenge() -> None:
    events = ChallengeEvents()
    with events.subscribe(7) as mine, events.subscribe(8) as other:
        waiting = asyncio.create_task(mine.get())
        await asyncio.sleep(0)
        events.publish(ChallengeEvent(7, ChallengeState.VERIFIED))
        assert await asyncio.wait_for(waiting, 1) == ChallengeEvent(7, ChallengeState.VERIFIED)
        events.publish(ChallengeEvent(8, ChallengeState.EXPIRED))
        assert await other.get() == ChallengeEvent(8, ChallengeState.EXPIRED)
    assert events.listeners == 0


async def test_a_listener_that_stops_reading_keeps_only_the_first_events() -> None:
    events = ChallengeEvents()
    cycle = [*ChallengeState, *EventKind]  # 8 kinds: the first events differ from the last
    sent = [cycle[n % len(cycle)] for n in range(QUEUE_LIMIT + 5)]
    with events.subscribe(1) as listener:
        for kind in sent:
            events.publish(ChallengeEvent(1, kind))
        kinds = [(await listener.get()).kind for _ in range(QUEUE_LIMIT)]
        assert kinds == sent[:QUEUE_LIMIT]
        waiting = asyncio.create_task(listener.get())
        await asyncio.sleep(0.01)
        assert not waiting.done()  # the overflow was dropped, nothing is left
        waiting.cancel()


async def test_a_timed_out_wait_leaves_the_listener_usable() -> None:
    events = ChallengeEvents()
    with events.subscribe(3) as listener:
        try:
            async with asyncio.timeout(0.01):
                await listener.get()
        except TimeoutError:
            pass
        events.publish(ChallengeEvent(3, ChallengeState.CANCELLED))
        assert (await listener.get()).kind == "cancelled"


def test_a_notified_kind_is_read_as_its_enum_and_an_unknown_one_as_a_reread() -> None:
    assert ChallengeEvent.named(4, "verified") == ChallengeEvent(4, ChallengeState.VERIFIED)
    assert ChallengeEvent.named(4, "verified").kind is ChallengeState.VERIFIED
    assert ChallengeEvent.named(5, "code_assigned").kind is EventKind.CODE_ASSIGNED
    assert ChallengeEvent.named(6, "a_kind_from_a_newer_version").kind is EventKind.REREAD
