"""The login throttle's policy: its numbers, and what an attempt is told.

The policy (values from the configuration; defaults ``login_limit`` 5, ``login_window`` 900,
``login_id_lock`` 100):

1. **Per (login ID, client address)** — the stranger's own counter. The 5th attempt counted
   sets a back-off of 30 s, doubling with each further one (60 s, 120 s, …) up to the window
   (15 min), as django-otp's ThrottlingMixin does; an attempt inside the back-off is refused
   without checking its password. The count starts over after a window with no attempt
   once the back-off is over, and a success resets it.
2. **Per client address across login IDs** — the same with 4 × the limit (20): one address
   trying many IDs. A success gives back only its own attempt (one good password must not
   unlock guessing at other IDs).
3. **Per login ID across addresses**, consecutive failures (a success resets them; so does a
   month without any attempt, unless the ID is locked). From 4 × the limit (20) on, the ID
   is *slowed*: from an address that has never logged in to it, one check per 60 s, an
   earlier attempt refused with the wait; from the holder's own address (one that logged in
   to this ID within 180 days) it is not slowed at all. At ``login_id_lock`` (100, the
   ceiling of NIST SP 800-63B 5.2.2) the ID is locked for every address until an operator
   runs ``callauth holders unlock LOGIN_ID``; the holder's recovery path is the call centre.

So a stranger's wrong passwords cost the holder nothing until the per-ID ceiling, and even
then the holder's usual address keeps logging in until the hard lock at 100, which takes a
stranger at least 80 minutes to reach.

The counters live in the store (``db/throttles.py``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

#: The first back-off, doubled with each further attempt.
BASE_DELAY = 30
#: One address may fail this many times more often than one (ID, address) pair.
ADDRESS_FACTOR = 4
#: From this many times the limit of consecutive failures on an ID, the ID is slowed …
SLOW_FACTOR = 4
#: … to one check per this many seconds from addresses that never logged in to it.
SLOW_SPACING = 60
#: An address that logged in to an ID this recently counts as the holder's own.
KNOWN_FOR = 180 * 86400
#: Consecutive failures on an unlocked ID are forgotten after this long without attempts.
FORGET_AFTER = 30 * 86400


class Verdict(enum.Enum):
    CHECK = "check"  # counted: go on and check the password
    WAIT = "wait"  # refused for ``wait`` seconds; the password is not checked
    LOCKED = "locked"  # refused until an operator unlocks the login ID


@dataclass(frozen=True)
class Attempt:
    verdict: Verdict
    #: WAIT: seconds until the next try. CHECK: the wait a failure of this attempt leaves.
    wait: int = 0
    #: CHECK: a failure of this attempt locks the login ID.
    locks_on_failure: bool = False

    def after_failure(self) -> Attempt | None:
        """The refusal a failed check of this attempt turns into, or None."""
        if self.locks_on_failure:
            return Attempt(Verdict.LOCKED)
        return Attempt(Verdict.WAIT, self.wait) if self.wait > 0 else None


@dataclass(frozen=True)
class ThrottlePolicy:
    limit: int = 5
    window: int = 900
    id_lock: int = 100

    @property
    def address_limit(self) -> int:
        return self.limit * ADDRESS_FACTOR

    @property
    def slow_after(self) -> int:
        return self.limit * SLOW_FACTOR

    def backoff(self, failures: int, limit: int) -> int:
        if failures < limit:
            return 0
        return int(min(self.window, BASE_DELAY * 2 ** min(failures - limit, 30)))


@dataclass(frozen=True)
class LoginState:
    """What the throttle holds on one login ID (for the operator)."""

    login_id: str
    consecutive_failures: int
    locked: bool
    throttled_addresses: int  # (ID, address) pairs with failures counted
