"""Password hashing with argon2id, off the event loop.

Checks of a login's password run on a :class:`PasswordPool`: a thread pool of its own (a
few workers, not the loop's default executor that everything else shares) behind a bounded
number of places. A check that finds every place taken is refused at once
(:class:`PasswordPoolBusy`, answered 503) rather than queued, so a flood of guesses waits
no longer than the queue is deep, cannot starve the holders' logins behind an ever-growing
queue, and leaves the event loop free. A few places beyond the queue, on a thread of their
own, are kept for holders at an address they logged in from before, so a flood from
elsewhere neither refuses nor delays them. Hashing a new password (seeding, imports) is
rare and uses the default executor.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import secrets
import time
from collections.abc import Iterator
from types import TracebackType

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

_hasher = PasswordHasher()
#: Places beyond the queue kept for holders logging in from an address they used before.
RESERVED_PLACES = 4
#: Seconds between two log lines about a full pool.
WARN_EVERY = 10.0


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash nobody knows the password of, so unknown login IDs cost as much as real ones."""
    return _hasher.hash(secrets.token_urlsafe(24))


def hash_password_sync(password: str) -> str:
    """For command-line tools and seeding outside the event loop."""
    return _hasher.hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        matched = _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, _hasher.hash, password)


class PasswordPoolBusy(Exception):
    """Every place in the pool is taken: answer at once instead of queueing."""


class PasswordPool:
    """``workers`` threads, ``queue`` more checks waiting, and ``reserved`` places beyond
    those that only a holder at a familiar address may take (``ticket(familiar=True)``),
    so a flood of strangers' guesses fills the pool without shutting the holders out."""

    def __init__(self, workers: int, queue: int, reserved: int = RESERVED_PLACES) -> None:
        self.places = workers + queue
        self.reserved = reserved
        self.in_use = 0
        #: argon2 verifications submitted (what /metrics shows as callauth_password_checks).
        self.checks = 0
        #: Checks refused because the pool was full.
        self.refused = 0
        self._warned_at = -WARN_EVERY
        self._executor = concurrent.futures.ThreadPoolExecutor(
            workers, thread_name_prefix="callauth-argon2"
        )
        # The reserved places run on a thread of their own: a holder's check never waits
        # behind the queue that strangers filled.
        self._reserved_executor = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="callauth-argon2-reserved"
        )

    def ticket(self, *, familiar: bool = False) -> Ticket:
        """A place for one check, taken now (no ``await``) or :class:`PasswordPoolBusy`."""
        full = self.in_use >= self.places
        if full and (not familiar or self.in_use >= self.places + self.reserved):
            self.refused += 1
            now = time.monotonic()
            if now - self._warned_at >= WARN_EVERY:  # one line, not one per refused login
                self._warned_at = now
                logger.warning("password pool full: refusing logins (%d so far)", self.refused)
            raise PasswordPoolBusy()
        self.in_use += 1
        return Ticket(self, self._reserved_executor if full else self._executor)

    def _release(self) -> None:
        self.in_use -= 1

    async def warm_up(self) -> None:
        """Compute the dummy hash at start-up so the first unknown ID is not slower."""
        await asyncio.get_running_loop().run_in_executor(self._executor, _dummy_hash)

    def close(self) -> None:
        for executor in (self._executor, self._reserved_executor):
            executor.shutdown(wait=False, cancel_futures=True)


class Ticket:
    """One place in a :class:`PasswordPool`; held until its check has really finished on
    the worker (not merely until an awaiting task gave up), so places bound the work."""

    def __init__(self, pool: PasswordPool, lane: concurrent.futures.Executor) -> None:
        self._pool = pool
        self._lane = lane
        self._held = True

    def __enter__(self) -> Ticket:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._held:  # never submitted: give the place back now
            self._held = False
            self._pool._release()

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True only for a real hash that matches; ``None`` (unknown login ID) costs the
        same. One check per ticket."""
        if not self._held:
            raise RuntimeError("a password ticket checks one password")
        pool, loop = self._pool, asyncio.get_running_loop()
        pool.checks += 1
        work = self._lane.submit(_verify, password_hash, password)
        self._held = False  # the place is given back when the worker is done, not before
        work.add_done_callback(functools.partial(_release_on, loop, pool))
        return await asyncio.wrap_future(work)


def _release_on(
    loop: asyncio.AbstractEventLoop, pool: PasswordPool, _: concurrent.futures.Future[bool]
) -> None:
    # Runs on the worker thread: hand the count back to the loop that owns it.
    with contextlib.suppress(RuntimeError):  # the loop closed first (shutdown): nothing to do
        loop.call_soon_threadsafe(pool._release)


class PoolCollector(Collector):
    """The pool's counters for /metrics."""

    def __init__(self, pool: PasswordPool) -> None:
        self._pool = pool

    def collect(self) -> Iterator[Metric]:
        checks = CounterMetricFamily(
            "callauth_password_checks", "argon2 password verifications run"
        )
        checks.add_metric([], self._pool.checks)
        refused = CounterMetricFamily(
            "callauth_password_pool_refused", "Password checks refused: the pool was full"
        )
        refused.add_metric([], self._pool.refused)
        busy = GaugeMetricFamily("callauth_password_pool_in_use", "Password checks in the pool")
        busy.add_metric([], self._pool.in_use)
        yield from (checks, refused, busy)
