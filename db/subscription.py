"""What one waiting page holds while it listens to its challenge (db/events.py fills it).

A type of its own, beside the row types, so the web can name it without the store.
"""

from __future__ import annotations

import asyncio

from callauth.db.models import ChallengeEvent

#: A waiting browser that stops reading is not allowed to grow memory without bound.
QUEUE_LIMIT = 16


class Subscription:
    """One listener's undelivered events (at most ``QUEUE_LIMIT``; later ones are dropped).

    A waiting browser holds one for minutes, thousands at once: this is a list and a
    future made only while someone awaits, not an ``asyncio.Queue`` (three deques and an
    Event, ~3 KiB each).
    """

    __slots__ = ("_events", "_waiter")

    def __init__(self) -> None:
        self._events: list[ChallengeEvent] = []
        self._waiter: asyncio.Future[None] | None = None

    def put(self, event: ChallengeEvent) -> None:
        if len(self._events) < QUEUE_LIMIT:
            self._events.append(event)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> ChallengeEvent:
        """The oldest undelivered event, waiting for one if need be."""
        while not self._events:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._events.pop(0)
