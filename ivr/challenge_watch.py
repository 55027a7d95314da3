"""What a waiting page follows: its challenge, and the events that say it has changed."""

from __future__ import annotations

from contextlib import AbstractContextManager

from callauth.db.models import Challenge
from callauth.db.store import Store
from callauth.db.subscription import Subscription


class ChallengeWatch:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def challenge(self, challenge_id: int) -> Challenge | None:
        return await self.store.challenge(challenge_id)

    def subscribe(self, challenge_id: int) -> AbstractContextManager[Subscription]:
        """Events of ``challenge_id`` while the ``with`` block lasts (a state change, or a
        refused call's hint now on the row): re-read the challenge on each."""
        return self.store.events.subscribe(challenge_id)
