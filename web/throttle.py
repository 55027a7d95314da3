"""In-memory rate limits with exponential back-off (the JSON API's per-address limit).

After ``limit`` hits inside ``window`` seconds a key is locked for ``base_delay`` seconds,
and every further hit after a lock doubles it (capped at ``window``), as django-otp's
ThrottlingMixin does. State is in memory: a restart forgetting it costs an abuser nothing
they could not get by waiting. Login throttles are not here: they live in the store, are
counted before the password is checked and survive a restart (db/throttles.py).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from callauth.db.clock import Clock

#: Keys kept at most; beyond that the quietest ones are forgotten first.
MAX_KEYS = 100_000


@dataclass
class _Record:
    failures: deque[int] = field(default_factory=deque)
    locked_until: int = 0


class Throttle:
    def __init__(self, limit: int, window: int, clock: Clock, base_delay: int = 30) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.base_delay = base_delay
        self._records: dict[str, _Record] = {}

    def wait(self, key: str) -> int:
        """Seconds ``key`` must still wait; 0 when it may try."""
        record = self._records.get(key)
        if record is None:
            return 0
        return max(0, record.locked_until - self.clock())

    def fail(self, key: str) -> int:
        """Count a failure; return the wait it now has to serve."""
        now = self.clock()
        record = self._records.setdefault(key, _Record())
        while record.failures and record.failures[0] <= now - self.window:
            record.failures.popleft()
        record.failures.append(now)
        excess = len(record.failures) - self.limit
        if excess >= 0:
            delay = min(self.window, self.base_delay * 2 ** min(excess, 30))
            record.locked_until = now + delay
        self._prune(now)
        return self.wait(key)

    def reset(self, key: str) -> None:
        self._records.pop(key, None)

    def _prune(self, now: int) -> None:
        if len(self._records) <= MAX_KEYS:
            return
        for key, record in list(self._records.items()):
            if record.locked_until <= now and record.failures[-1] <= now - self.window:
                del self._records[key]
        while len(self._records) > MAX_KEYS:  # under a flood of distinct keys
            del self._records[next(iter(self._records))]


class RateLimit:
    """At most ``limit`` requests per ``window`` seconds per key, then a back-off."""

    def __init__(self, limit: int, window: int, clock: Clock) -> None:
        self._hits = Throttle(limit, window, clock, base_delay=window)

    def hit(self, key: str) -> int:
        """Count one request; the seconds to wait if it must be refused, else 0."""
        if wait := self._hits.wait(key):
            return wait
        # Counted after the check: the request that reaches the limit is still served.
        self._hits.fail(key)
        return 0
