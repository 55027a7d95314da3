"""The enforcement date as the templates see it: is the registration banner still shown?"""

from __future__ import annotations

from callauth.db.store import Clock
from callauth.ivr.config import Config


class Enforcement:
    def __init__(self, config: Config, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self.starts_on = config.enforcement_date  # ISO date, for the japanese_date filter

    def pending(self) -> bool:
        """Before the date: password-only login still works, and every page says so."""
        return not self._config.phone_required(self._clock())
