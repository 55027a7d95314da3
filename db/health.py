"""Can the store be written right now? A real write probe, and its last answer.

``Store.probe()`` (and ``Store.health``) is the one entry: ``/healthz`` and the detailed
health on the admin listener call it per request, housekeeping every tick, ``serve`` once
at start-up (and refuses to start unless it is ok). A failure a request meets on its own
(:meth:`Health.failed`) counts too, so the pages answer 503 at once. The store recovers by
itself: a file made writable again passes the next probe; a file deleted and then restored
(or replaced) at the path is reopened. A path with no file stays unavailable: a new, empty
database is created only at start-up, never silently under a running server.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable

from callauth.db.connection import Transactions
from callauth.db.dbfile import FileState, StoreUnavailable, describe
from callauth.db.models import StoreHealth

logger = logging.getLogger(__name__)

#: SQLite primary result codes that say the database cannot be used now, as opposed to
#: a mistake in a query (SQLITE_ERROR, SQLITE_CONSTRAINT …), which stays a bug (500).
_UNAVAILABLE_CODES = frozenset({
    3,  # SQLITE_PERM
    5,  # SQLITE_BUSY (busy_timeout ran out)
    6,  # SQLITE_LOCKED
    7,  # SQLITE_NOMEM
    8,  # SQLITE_READONLY
    10,  # SQLITE_IOERR
    11,  # SQLITE_CORRUPT
    13,  # SQLITE_FULL
    14,  # SQLITE_CANTOPEN
    15,  # SQLITE_PROTOCOL
    26,  # SQLITE_NOTADB
})  # fmt: skip
_BUSY_CODES = frozenset({5, 6})


OK = StoreHealth(True, "ok")


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` is the store failing (so: 503, try later), not a bug (500)."""
    if isinstance(exc, StoreUnavailable):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF in _UNAVAILABLE_CODES


def _touch(now: int, db: sqlite3.Connection) -> None:
    # The count always changes: a row rewritten with equal values is not written at all.
    db.execute(
        "INSERT INTO health (id, probes, probed_at) VALUES (1, 1, ?)"
        " ON CONFLICT (id) DO UPDATE SET probes = health.probes + 1, probed_at = excluded.probed_at",
        (now,),
    )


class Health:
    def __init__(self, transactions: Transactions, clock: Callable[[], int]) -> None:
        self._tx = transactions
        self._clock = clock
        self._lock = asyncio.Lock()
        #: The last answer; None before the first probe.
        self.latest: StoreHealth | None = None

    @property
    def usable(self) -> bool:
        """False while the last probe (or a request's failure) said the store is down."""
        return self.latest is None or self.latest.ok

    async def probe(self) -> StoreHealth:
        """Reopen a replaced file, then write one row in a transaction; the answer."""
        async with self._lock:  # one reopen at a time
            result = await self._probe()
            self._note(result)
            return result

    def failed(self, exc: BaseException) -> bool:
        """Record a store failure a request met; whether ``exc`` was one."""
        if not is_unavailable(exc):
            return False
        self._note(self._unhealthy(exc))
        return True

    async def _probe(self) -> StoreHealth:
        file = self._tx.file
        if file is not None:
            state = file.state()
            if state is FileState.MISSING:
                return StoreHealth(False, "missing", describe(file.path, state))
            if state is FileState.REPLACED:
                try:
                    await self._tx.reopen()
                except (OSError, sqlite3.Error) as exc:
                    return StoreHealth(False, "replaced", f"{describe(file.path, state)}"
                                       f" that cannot be opened: {exc}")  # fmt: skip
                logger.warning("%s; reopened it", describe(file.path, state))
        try:
            await self._tx.run_write(functools.partial(_touch, self._clock()))
        except (OSError, sqlite3.Error) as exc:
            return self._unhealthy(exc)
        except Exception as exc:  # a closed or broken connection: not a write that failed
            return StoreHealth(False, "unreachable", f"database cannot be reached: {exc!r}")
        return OK

    def _note(self, result: StoreHealth) -> None:
        # Logged once per change of state (not per probe, nor per message): the first
        # answer is the start-up's, which serve reports itself.
        previous, self.latest = self.latest, result
        if previous is None or previous.db == result.db:
            return
        if result.ok:
            logger.warning("database usable again (it was %s)", previous.db)
        else:
            logger.error("database unavailable (%s): %s", result.db, result.reason)

    def _unhealthy(self, exc: BaseException) -> StoreHealth:
        if isinstance(exc, StoreUnavailable):
            return StoreHealth(False, exc.db, str(exc))
        where = f" {self._tx.file.path}" if self._tx.file is not None else ""
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF in _BUSY_CODES:
            return StoreHealth(False, "busy", f"database{where} is locked by another writer: {exc}")
        return StoreHealth(False, "unwritable", f"database{where} cannot be written: {exc}")
