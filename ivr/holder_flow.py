"""What a holder's flow (the login, a phone change) works with."""

from __future__ import annotations

from callauth.db.store import Store
from callauth.ivr.config import Config
from callauth.ivr.password_gate import PasswordGate
from callauth.ivr.service import VerificationService


class HolderFlow:
    """The store, the settings, the call path's service (which starts the challenges a
    call verifies) and the gate every password passes."""

    def __init__(
        self, store: Store, config: Config, calls: VerificationService, gate: PasswordGate
    ) -> None:
        self.store = store
        self.config = config
        self.calls = calls
        self.gate = gate
