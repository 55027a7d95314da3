"""A password check counted before it is made: the one gate in front of every password.

A place in the bounded pool first (so a refused check is never counted as an attempt),
then the store's throttle checks and counts the attempt in one transaction (no ``await``
between check and count, db/throttles.py), then argon2 on the pool. The holders' login,
the phone change's password step and the operators' console all pass through here.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from callauth.db.throttle_policy import Attempt, Verdict
from callauth.db.throttles import Throttles
from callauth.ivr.passwords import PasswordPool, PasswordPoolBusy, Ticket

T = TypeVar("T")


class Gate(enum.Enum):
    PASSED = "passed"
    WRONG = "wrong"  # unknown login or wrong password, counted
    REFUSED = "refused"  # throttled or locked: the password was not checked
    BUSY = "busy"  # every place in the password pool is taken (answer 503 at once)


@dataclass(frozen=True)
class Checked(Generic[T]):
    gate: Gate
    #: Whom the password was checked for (None: no such login).
    subject: T | None = None
    #: REFUSED: the throttle's refusal. WRONG: the refusal this failure turns into, or None.
    refusal: Attempt | None = None


class PasswordGate:
    """``familiar``: a holder at an address they logged in from may take one of the pool's
    reserved places when it is full (the operators' console does not)."""

    def __init__(self, pool: PasswordPool, throttles: Throttles, *, familiar: bool) -> None:
        self.pool = pool
        self.throttles = throttles
        self._familiar = familiar

    async def _ticket(self, login: str, address: str) -> Ticket:
        try:
            return self.pool.ticket()
        except PasswordPoolBusy:
            if not self._familiar or not await self.throttles.familiar(login, address):
                raise
        return self.pool.ticket(familiar=True)

    async def check(
        self,
        keys: tuple[str, str],
        password: str,
        lookup: Callable[[], Awaitable[T | None]],
        hash_of: Callable[[T], str],
    ) -> Checked[T]:
        """``keys``: the throttle's (login, address); ``lookup`` finds whose password it
        is (after the attempt is counted); ``hash_of`` is that one's stored hash."""
        try:
            with await self._ticket(*keys) as ticket:
                attempt = await self.throttles.reserve(*keys)
                if attempt.verdict is not Verdict.CHECK:
                    return Checked(Gate.REFUSED, refusal=attempt)
                subject = await lookup()
                stored = hash_of(subject) if subject is not None else None
                matched = await ticket.verify(stored, password)
        except PasswordPoolBusy:
            return Checked(Gate.BUSY)
        if subject is None or not matched:
            return Checked(Gate.WRONG, subject, attempt.after_failure())
        await self.throttles.succeed(*keys)
        return Checked(Gate.PASSED, subject)
