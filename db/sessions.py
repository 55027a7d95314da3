"""Web sessions (aiohttp-session rows): the store's queries for them."""

from __future__ import annotations

from callauth.db.clock import Clock
from callauth.db.connection import Transactions


class SessionQueries:
    _tx: Transactions
    clock: Clock

    async def load_session(self, key: str) -> str | None:
        now = self.clock()
        row = await self._tx.run_read(
            lambda db: db.execute(
                "SELECT data FROM web_sessions WHERE key = ? AND expires_at > ?", (key, now)
            ).fetchone()
        )
        return str(row[0]) if row else None

    async def save_session(self, key: str, data: str, max_age: int) -> None:
        values = (key, data, self.clock() + max_age)
        await self._tx.run_write(
            lambda db: db.execute(
                "INSERT INTO web_sessions (key, data, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET data = excluded.data,"
                " expires_at = excluded.expires_at",
                values,
            )
        )

    async def delete_session(self, key: str) -> None:
        await self._tx.run_write(
            lambda db: db.execute("DELETE FROM web_sessions WHERE key = ?", (key,))
        )

    async def purge_sessions(self) -> int:
        now = self.clock()
        return await self._tx.run_write(
            lambda db: db.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (now,)).rowcount
        )
