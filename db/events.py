"""In-process delivery of challenge events to waiting browsers.

The SQLite backend lives in one process, so a dict of queues is enough. A PostgreSQL
backend would publish through NOTIFY and feed the same queues from LISTEN.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterator

from db.models import ChallengeEvent

#: A waiting browser that stops reading is not allowed to grow memory without bound.
QUEUE_LIMIT = 16


class ChallengeEvents:
    def __init__(self) -> None:
        self._queues: defaultdict[int, set[asyncio.Queue[ChallengeEvent]]] = defaultdict(set)

    @contextlib.contextmanager
    def subscribe(self, challenge_id: int) -> Iterator[asyncio.Queue[ChallengeEvent]]:
        queue: asyncio.Queue[ChallengeEvent] = asyncio.Queue(QUEUE_LIMIT)
        self._queues[challenge_id].add(queue)
        try:
            yield queue
        finally:
            listeners = self._queues.get(challenge_id)
            if listeners is not None:
                listeners.discard(queue)
                if not listeners:
                    del self._queues[challenge_id]

    def publish(self, event: ChallengeEvent) -> None:
        for queue in self._queues.get(event.challenge_id, ()):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)

    @property
    def listeners(self) -> int:
        return sum(len(q) for q in self._queues.values())
