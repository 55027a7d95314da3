"""The keys that sign the forms' CSRF tokens (the login form's, the console's login's)."""

from __future__ import annotations

import secrets

from callauth.db import server_secrets
from callauth.db.store import Store
from callauth.ivr.config import Config


class FormSecrets:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config

    async def key(self, name: str) -> str:
        """The configured ``secret_key``, or else the one called ``name`` generated once
        and kept in the database, so that several processes on one store agree."""
        return self.config.web.secret_key or await server_secrets.get_or_create(
            self.store, name, secrets.token_urlsafe(32)
        )
