"""The store: every query callauth makes, as plain async methods returning frozen rows.

Each method is one transaction in one hop to aiosqlite's thread (``Transactions``). The
queries live with what they are about (``db/holders.py``, ``db/challenges.py``,
``db/calls.py``, ``db/sessions.py``, ``db/audit.py``); ``Store`` joins them over one
connection. State changes are compare-and-set UPDATEs guarded by the expected old state,
so a race can never verify twice or resurrect an expired challenge.
"""

from __future__ import annotations

import functools

import aiosqlite

from callauth.db.audit import AuditEntry, AuditQueries
from callauth.db.call_units import CallerRows, RecordedCall
from callauth.db.calls import CallQueries
from callauth.db.challenges import ChallengeQueries
from callauth.db.clock import Clock, system_clock
from callauth.db.connection import Transactions, connect
from callauth.db.dbfile import DbFile
from callauth.db.events import ChallengeEvents
from callauth.db.health import Health, StoreHealth
from callauth.db.holders import HolderQueries
from callauth.db.sessions import SessionQueries

__all__ = ["AuditEntry", "CallerRows", "Clock", "RecordedCall", "Store", "system_clock"]


class Store(HolderQueries, ChallengeQueries, CallQueries, SessionQueries, AuditQueries):
    def __init__(self, conn: aiosqlite.Connection, clock: Clock = system_clock) -> None:
        self._tx = Transactions(conn)
        self.clock = clock
        self.events = ChallengeEvents()

    @classmethod
    async def open(cls, path: str, clock: Clock = system_clock) -> Store:
        store = cls(await connect(path), clock)
        store._tx.file = DbFile.at(path)  # every unit of work checks it is still there
        return store

    async def close(self) -> None:
        await self._tx.close()

    @property
    def transactions(self) -> Transactions:
        """The connection's unit-of-work helper, for repositories in sibling modules."""
        return self._tx

    @functools.cached_property
    def health(self) -> Health:
        """The write probe's last answer (db/health.py); ``usable`` is cheap to ask."""
        return Health(self._tx, self.clock)

    async def probe(self) -> StoreHealth:
        """A real write in a transaction, and the file at the path still the one opened."""
        return await self.health.probe()
