"""Remember, per pending challenge, that a withheld or unavailable call came in.

The store only announces such a call as an event, so a page that polls /verify/status
(no EventSource) would never hear of it. One small task per challenge started here listens
until the challenge ends and keeps the latest hint in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from db.events import ChallengeEvents
from db.models import Challenge
from db.store import Clock

logger = logging.getLogger(__name__)

#: What the waiting page says after a refused call, by event kind.
HINT_MESSAGES = {
    "withheld_call": (
        "非通知でおかけいただいたため、認証できませんでした。"
        "電話番号の前に「186」をつけて、もう一度おかけ直しください。"
    ),
    "unavailable_call": (
        "発信者番号が通知されなかったため、認証できませんでした。"
        "ご登録の電話から「186」をつけておかけ直しいただくか、"
        "電話機の電話番号通知設定をご確認ください。"
    ),
}

#: Keep listening this long past expiry, in case the expiry event is late.
GRACE_SECONDS = 5


class HintBook:
    def __init__(self, events: ChallengeEvents, clock: Clock) -> None:
        self._events = events
        self._clock = clock
        self._hints: dict[int, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def kind(self, challenge_id: int) -> str | None:
        return self._hints.get(challenge_id)

    def watch(self, challenge: Challenge) -> None:
        task = asyncio.create_task(self._listen(challenge))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _listen(self, challenge: Challenge) -> None:
        try:
            with self._events.subscribe(challenge.id) as queue:
                while True:
                    left = challenge.expires_at + GRACE_SECONDS - self._clock()
                    try:
                        event = await asyncio.wait_for(queue.get(), max(left, 1))
                    except TimeoutError:
                        if left <= 0:
                            return
                        continue
                    if event.kind not in HINT_MESSAGES:
                        return  # a state change: the challenge is over
                    self._hints[challenge.id] = event.kind
        finally:
            self._hints.pop(challenge.id, None)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
