"""Registration coverage before the enforcement date: how many holders could verify today.

Whether a number can verify is the number policy's answer (ivr/phone_policy.py, with the
site's ``allowed_kinds``), not a SQL pattern, so the distinct registered numbers are read
in one query and classified on a worker thread (about 25 µs each: a few seconds for a
million holders); the answer is kept for a minute.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field

from callauth.db.clock import Clock
from callauth.db.dashboard import Dashboard
from callauth.ivr import phone_policy

#: Seconds a computed coverage is shown before it is counted again.
TTL = 60


@dataclass(frozen=True)
class Coverage:
    usable: int
    none: int
    unusable: int
    by_kind: dict[str, int]  # unusable numbers by kind (voip, toll_free, …)
    computed_at: int
    unusable_numbers: frozenset[str] = field(repr=False)

    @property
    def total(self) -> int:
        return self.usable + self.none + self.unusable

    def share(self, count: int) -> str:
        return f"{100 * count / self.total:.1f}%" if self.total else "—"


def classify(numbers: list[tuple[str | None, int]], allowed: frozenset[str], now: int) -> Coverage:
    usable = none = unusable = 0
    kinds: collections.Counter[str] = collections.Counter()
    bad: set[str] = set()
    for number, count in numbers:
        if number is None:
            none += count
            continue
        # +81… as domestic digits takes the policy's fast path (a fifth of the cost).
        check = phone_policy.check("0" + number[3:] if number.startswith("+81") else number,
                                   allowed)  # fmt: skip
        if check.registrable:
            usable += count
        else:
            unusable += count
            kinds[check.kind] += count
            bad.add(number)
    return Coverage(usable, none, unusable, dict(kinds.most_common()), now, frozenset(bad))


class CoverageCache:
    def __init__(self, dashboard: Dashboard, clock: Clock) -> None:
        self._dashboard = dashboard
        self._clock = clock
        self._last: Coverage | None = None
        self._lock = asyncio.Lock()

    async def get(self, allowed: frozenset[str]) -> Coverage:
        async with self._lock:  # one count at a time; the others wait for its answer
            now = self._clock()
            if self._last is None or now - self._last.computed_at >= TTL:
                numbers = await self._dashboard.registered_numbers()
                self._last = await asyncio.to_thread(classify, numbers, allowed, now)
            return self._last
