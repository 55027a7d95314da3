"""The store: every query callauth makes, as plain async methods returning frozen rows.

Each method is one transaction (``Transactions``: in one hop to the database's thread, or
for a call's unit at once on the loop's when that thread is idle). The
queries live with what they are about (``db/holders.py``, ``db/challenges.py``,
``db/calls.py``, ``db/sessions.py``, ``db/audit.py``); ``Store`` joins them over one
connection. State changes are compare-and-set UPDATEs guarded by the expected old state,
so a race can never verify twice or resurrect an expired challenge. The database is a
SQLite file (the default) or a PostgreSQL server, named by a URL (db/backend.py); nothing
above db/ can tell which.
"""

from __future__ import annotations

import functools

from callauth.db import backend
from callauth.db.audit import AuditQueries
from callauth.db.calls import CallQueries
from callauth.db.challenges import ChallengeQueries
from callauth.db.clock import Clock, system_clock
from callauth.db.connection import Transactions
from callauth.db.events import ChallengeEvents
from callauth.db.health import Health
from callauth.db.holders import HolderQueries
from callauth.db.models import StoreHealth
from callauth.db.sessions import SessionQueries

__all__ = ["Store"]


class Store(HolderQueries, ChallengeQueries, CallQueries, SessionQueries, AuditQueries):
    def __init__(self, transactions: Transactions, clock: Clock = system_clock) -> None:
        self._tx = transactions
        self.clock = clock
        self.events = ChallengeEvents()

    @classmethod
    async def open(cls, where: str, clock: Clock = system_clock, *, pool: int = 4) -> Store:
        """The database at ``where``: a SQLite path (or ``sqlite:///path``), or a
        ``postgresql://`` URL served by ``pool`` connections."""
        return cls(await backend.open_transactions(where, pool), clock)

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

    async def schema_version(self) -> int:
        return await backend.schema_version(self._tx)

    async def watch_changes(self) -> None:
        """Until cancelled: tell this process's waiting pages of the challenge changes
        other processes commit (SQLite: polling its data_version; PostgreSQL: LISTEN)."""
        await backend.watch_changes(self._tx, self.events)
