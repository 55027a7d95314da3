"""Challenge changes committed by ANOTHER process, told to this process's waiting pages.

``callauth serve`` publishes its own changes as it makes them (db/events.py). A call
verified by the classic AGI script (``callauth-agi``, a process per call) or by a second
``serve`` on the same file changes the row behind the waiting page's back. SQLite's
``PRAGMA data_version`` changes only when another connection committed, and reading it
is a lookup in the connection's own memory: it is polled every ``POLL_SECONDS``, and only
when it moved are the challenges that have a listener read again (their state, the last
call's hint, the code): each one that changed gets an event, and its stream re-reads it.

A PostgreSQL backend would get the same from LISTEN/NOTIFY; this is SQLite's equivalent.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence

from callauth.db.connection import Transactions
from callauth.db.events import ChallengeEvents
from callauth.db.models import ChallengeEvent, ChallengeState, EventKind

logger = logging.getLogger(__name__)

#: How often the version is read: pages move within about this long after the commit.
POLL_SECONDS = 0.2
#: Ids per SELECT (SQLite's default limit on host parameters is 32,766; stay well below).
_CHUNK = 500

#: What a waiting page shows of a challenge: (state, last call's hint, keypad code).
Seen = tuple[str, str | None, str | None]
#: The connection (a reopened store has a new one, whose counter starts anew) and its count.
_Version = tuple[int, int]


def _read(db: sqlite3.Connection, ids: Sequence[int]) -> tuple[_Version, dict[int, Seen]]:
    # The version first: a commit after it moves the next poll's version, so none is missed.
    version = (id(db), int(db.execute("PRAGMA data_version").fetchone()[0]))
    seen: dict[int, Seen] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = db.execute(
            "SELECT id, state, last_call, code FROM challenges"
            f" WHERE id IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        seen.update((row[0], (row[1], row[2], row[3])) for row in rows)
    return version, seen


def _version(db: sqlite3.Connection) -> _Version:
    return id(db), int(db.execute("PRAGMA data_version").fetchone()[0])


class ExternalChanges:
    def __init__(self, transactions: Transactions, events: ChallengeEvents) -> None:
        self._tx = transactions
        self._events = events
        self._version: _Version | None = None
        self._seen: dict[int, Seen] = {}
        self._failing = ""

    async def poll(self) -> int:
        """Look once; publish an event per listened-to challenge another connection changed
        since the last look (or whose row this watcher has not seen yet). Returns how many."""
        version = await self._tx.run_read(_version)
        if version == self._version:
            return 0
        ids = self._events.challenge_ids()
        version, rows = await self._tx.run_read(lambda db: _read(db, ids))
        self._version = version
        published = 0
        for challenge_id, now in rows.items():
            if self._seen.get(challenge_id) != now:
                before = self._seen.get(challenge_id)
                self._events.publish(ChallengeEvent(challenge_id, _kind(before, now)))
                published += 1
        self._seen = rows  # only the ids still listened to
        return published

    async def run(self, interval: float = POLL_SECONDS) -> None:
        """Poll until cancelled; a store that fails is logged once per kind of failure."""
        while True:
            try:
                await self.poll()
                if self._failing:
                    logger.info("watching for other processes' changes again")
                    self._failing = ""
            except Exception as exc:  # a store gone bad: housekeeping reports it, we retry
                if repr(exc) != self._failing:
                    logger.warning("cannot watch for other processes' changes: %r", exc)
                    self._failing = repr(exc)
            await asyncio.sleep(interval)


def _kind(before: Seen | None, now: Seen) -> ChallengeState | EventKind:
    if before is None or before[0] != now[0]:
        return ChallengeState(now[0])  # the state (or a row first seen): re-read either way
    return EventKind.LAST_CALL if before[1] != now[1] else EventKind.CODE_ASSIGNED
