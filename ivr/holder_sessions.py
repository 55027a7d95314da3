"""The holders' browser sessions as the web's session storage needs them: rows of JSON
behind a random key (web/sessions.py), kept in the store so that logging out or rotating
really ends the old session. Keys are never logged."""

from __future__ import annotations

from callauth.db.store import Store


class HolderSessions:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def load(self, key: str) -> str | None:
        """The session's data, unless it does not exist or has expired."""
        return await self._store.load_session(key)

    async def save(self, key: str, data: str, max_age: int) -> None:
        await self._store.save_session(key, data, max_age)

    async def delete(self, key: str) -> None:
        await self._store.delete_session(key)
