"""In-process delivery of challenge events to waiting browsers.

Every repository hands what its unit of work changed, once committed, to
:meth:`ChallengeEvents.tell`: the one place this process publishes its own changes. Other
processes' changes arrive by watching (db/external.py polls SQLite's data_version; on
PostgreSQL a trigger NOTIFYs on commit and db/pg_events.py LISTENs), fed to the same
subscriptions through :meth:`ChallengeEvents.publish`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from callauth.db.models import ChallengeEvent, ChallengeState, EventKind
from callauth.db.subscription import Subscription


class ChallengeEvents:
    def __init__(self) -> None:
        self._listeners: dict[int, list[Subscription]] = {}

    @contextlib.contextmanager
    def subscribe(self, challenge_id: int) -> Iterator[Subscription]:
        subscription = Subscription()
        self._listeners.setdefault(challenge_id, []).append(subscription)
        try:
            yield subscription
        finally:
            listeners = self._listeners.get(challenge_id)
            if listeners is not None:
                listeners.remove(subscription)
                if not listeners:
                    del self._listeners[challenge_id]

    def tell(self, kind: ChallengeState | EventKind, challenge_ids: Iterable[int]) -> None:
        """These challenges changed (to the state ``kind``, or as ``kind`` says) in a unit
        of work this process has committed."""
        for challenge_id in challenge_ids:
            self.publish(ChallengeEvent(challenge_id, kind))

    def publish(self, event: ChallengeEvent) -> None:
        for subscription in self._listeners.get(event.challenge_id, ()):
            subscription.put(event)

    def challenge_ids(self) -> list[int]:
        """The challenges someone listens to (db/external.py re-reads only these)."""
        return list(self._listeners)

    @property
    def listeners(self) -> int:
        return sum(len(s) for s in self._listeners.values())
