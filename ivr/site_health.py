"""Whether the store can be used, as the site's pages, its health answers and /metrics ask.

The probe is a real write in a transaction and a check that the file at the path is still
the one opened (db/health.py, logged once per change); housekeeping runs it every second.
"""

from __future__ import annotations

from callauth.db.models import StoreHealth
from callauth.db.store import Store


class SiteHealth:
    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def usable(self) -> bool:
        """The last probe's answer (cheap: a page asks it before anything else)."""
        return self._store.health.usable

    def failed(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the store is unusable (then noted for the next pages)."""
        return self._store.health.failed(exc)

    async def problem(self) -> StoreHealth | None:
        """A probe now: None, or what is wrong."""
        health = await self._store.probe()
        return None if health.ok else health

    async def outcome_counts(self) -> dict[str, int]:
        """Calls logged, by outcome (for /metrics)."""
        return await self._store.outcome_counts()
