"""The enforcement date as the templates see it: is the registration banner still shown?"""

from __future__ import annotations

from callauth.db.clock import Clock
from callauth.ivr.config import Site


class Enforcement:
    def __init__(self, site: Site, clock: Clock) -> None:
        self._site = site
        self._clock = clock
        self.starts_on = site.enforcement_date  # ISO date, for the japanese_date filter

    def pending(self) -> bool:
        """Before the date: password-only login still works, and every page says so."""
        return not self._site.phone_required(self._clock())
