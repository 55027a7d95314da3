"""Login throttles in the store: every attempt is counted before its password is checked
(the policy and its numbers: ``db/throttle_policy.py``).

:meth:`Throttles.reserve` checks the counters and counts the attempt in one store
transaction (one hop to the database thread, ``BEGIN IMMEDIATE``: no ``await`` between check
and count, and other processes on the same file wait their turn), so N concurrent guesses
get at most ``limit`` password checks per pair. State lives in ``login_throttles``
(migration 0007): it survives a restart and is shared by every process on the store.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from callauth.db.store import Store
from callauth.db.throttle_policy import (
    FORGET_AFTER,
    KNOWN_FOR,
    SLOW_SPACING,
    Attempt,
    LoginState,
    ThrottlePolicy,
    Verdict,
)

_PAIR, _ADDRESS, _LOGIN = "pair", "address", "login"


@dataclass(frozen=True)
class _Row:
    failures: int
    last_at: int
    succeeded_at: int | None


def _row(db: sqlite3.Connection, scope: str, login_id: str, address: str) -> _Row | None:
    found = db.execute(
        "SELECT failures, last_at, succeeded_at FROM login_throttles"
        " WHERE scope = ? AND login_id = ? AND address = ?",
        (scope, login_id, address),
    ).fetchone()
    return _Row(*found) if found else None


def _put(db: sqlite3.Connection, scope: str, login_id: str, address: str, row: _Row) -> None:
    db.execute(
        "INSERT INTO login_throttles (scope, login_id, address, failures, last_at, succeeded_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, login_id, address) DO UPDATE SET"
        " failures = excluded.failures, last_at = excluded.last_at,"
        " succeeded_at = excluded.succeeded_at",
        (scope, login_id, address, row.failures, row.last_at, row.succeeded_at),
    )


def _until(row: _Row | None, delay: int) -> int:
    """When a counter lets the next attempt through (0: now)."""
    return row.last_at + delay if row is not None and delay > 0 else 0


class Throttles:
    def __init__(self, store: Store, policy: ThrottlePolicy) -> None:
        self._tx = store.transactions
        self._clock = store.clock
        self.policy = policy

    async def reserve(self, login_id: str, address: str) -> Attempt:
        """Check every counter and, if none refuses, count the attempt: one transaction."""
        now = self._clock()
        return await self._tx.run_write(lambda db: self._reserve(db, login_id, address, now))

    def _reserve(self, db: sqlite3.Connection, login_id: str, address: str, now: int) -> Attempt:
        policy = self.policy
        pair = _row(db, _PAIR, login_id, address)
        by_address = _row(db, _ADDRESS, "", address)
        by_login = _row(db, _LOGIN, login_id, "")
        pair_failures = self._fresh(pair, now, policy.limit)
        address_failures = self._fresh(by_address, now, policy.address_limit)
        login_failures = by_login.failures if by_login else 0
        if login_failures >= policy.id_lock:
            return Attempt(Verdict.LOCKED)
        known = pair is not None and (pair.succeeded_at or 0) > now - KNOWN_FOR
        slowed = not known and login_failures >= policy.slow_after
        wait = max(
            _until(pair, policy.backoff(pair_failures, policy.limit)),
            _until(by_address, policy.backoff(address_failures, policy.address_limit)),
            _until(by_login, SLOW_SPACING if slowed else 0),
        )
        if wait > now:
            return Attempt(Verdict.WAIT, wait - now)
        succeeded = pair.succeeded_at if pair else None
        _put(db, _PAIR, login_id, address, _Row(pair_failures + 1, now, succeeded))
        _put(db, _ADDRESS, "", address, _Row(address_failures + 1, now, None))
        _put(db, _LOGIN, login_id, "", _Row(login_failures + 1, now, None))
        after = max(
            policy.backoff(pair_failures + 1, policy.limit),
            policy.backoff(address_failures + 1, policy.address_limit),
            SLOW_SPACING if not known and login_failures + 1 >= policy.slow_after else 0,
        )
        return Attempt(Verdict.CHECK, after, login_failures + 1 >= policy.id_lock)

    def _fresh(self, row: _Row | None, now: int, limit: int) -> int:
        """A counter's failures, or 0 once a whole window passed without an attempt after
        its back-off ended (so waiting out the longest back-off does not reset it)."""
        if row is None:
            return 0
        if now >= row.last_at + self.policy.backoff(row.failures, limit) + self.policy.window:
            return 0
        return row.failures

    async def familiar(self, login_id: str, address: str) -> bool:
        """Whether ``address`` logged in to ``login_id`` lately (the holder's own)."""
        since = self._clock() - KNOWN_FOR

        def work(db: sqlite3.Connection) -> bool:
            pair = _row(db, _PAIR, login_id, address)
            return pair is not None and (pair.succeeded_at or 0) > since

        return await self._tx.run_read(work)

    async def succeed(self, login_id: str, address: str) -> None:
        """The password matched: reset the pair and the ID, mark the address as the
        holder's own, and give the address back this one attempt."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> None:
            _put(db, _PAIR, login_id, address, _Row(0, now, now))
            db.execute(
                "DELETE FROM login_throttles WHERE scope = ? AND login_id = ? AND address = ''",
                (_LOGIN, login_id),
            )
            db.execute(
                "UPDATE login_throttles SET failures = failures - 1"
                " WHERE scope = ? AND login_id = '' AND address = ? AND failures > 0",
                (_ADDRESS, address),
            )

        await self._tx.run_write(work)

    async def state(self, login_id: str) -> LoginState:
        return await self._tx.run_read(lambda db: self._state(db, login_id))

    def _state(self, db: sqlite3.Connection, login_id: str) -> LoginState:
        by_login = _row(db, _LOGIN, login_id, "")
        failures = by_login.failures if by_login else 0
        pairs = db.execute(
            "SELECT count(*) FROM login_throttles"
            " WHERE scope = ? AND login_id = ? AND failures > 0",
            (_PAIR, login_id),
        ).fetchone()[0]
        return LoginState(login_id, failures, failures >= self.policy.id_lock, int(pairs))

    async def unlock(self, login_id: str) -> LoginState:
        """Clear every counter of ``login_id`` (the holder's own addresses stay known);
        returns what there was before."""

        def work(db: sqlite3.Connection) -> LoginState:
            before = self._state(db, login_id)
            db.execute(
                "DELETE FROM login_throttles WHERE login_id = ? AND ("
                " scope = ? OR (scope = ? AND succeeded_at IS NULL))",
                (login_id, _LOGIN, _PAIR),
            )
            db.execute(
                "UPDATE login_throttles SET failures = 0 WHERE scope = ? AND login_id = ?",
                (_PAIR, login_id),
            )
            return before

        return await self._tx.run_write(work)

    async def purge(self) -> int:
        """Forget counters that no longer hold anything back; the number of rows removed."""
        now = self._clock()
        stale = now - 2 * self.policy.window  # a back-off is at most one window long

        def work(db: sqlite3.Connection) -> int:
            return db.execute(
                "DELETE FROM login_throttles WHERE"
                " (scope <> ? AND last_at <= ? AND (succeeded_at IS NULL OR succeeded_at <= ?))"
                " OR (scope = ? AND last_at <= ? AND failures < ?)",
                (_LOGIN, stale, now - KNOWN_FOR, _LOGIN, now - FORGET_AFTER, self.policy.id_lock),
            ).rowcount

        return await self._tx.run_write(work)
