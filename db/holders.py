"""Holders and their contracts: the store's queries for them."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterable

from callauth.db.clock import Clock
from callauth.db.connection import Transactions
from callauth.db.models import Contract, Holder, NewContract, NewHolder
from callauth.db.rows import contract_row, holder_row

_INSERT_HOLDER = (
    "INSERT INTO holders (login_id, password_hash, name, kana, birth_date, email,"
    " phone_e164, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


class HolderQueries:
    _tx: Transactions
    clock: Clock

    async def add_holder(self, new: NewHolder) -> Holder:
        values = (*dataclasses.astuple(new), self.clock())
        holder_id: int = await self._tx.run_write(
            lambda db: db.execute(f"{_INSERT_HOLDER} RETURNING id", values).fetchone()[0]
        )
        return Holder(id=holder_id, **dataclasses.asdict(new))

    async def add_holders(self, rows: Iterable[NewHolder]) -> int:
        """Bulk insert (seeding, imports, benchmarks) in one transaction."""
        now = self.clock()
        values = [(*dataclasses.astuple(new), now) for new in rows]
        return await self._tx.run_write(lambda db: db.executemany(_INSERT_HOLDER, values).rowcount)

    async def holder(self, holder_id: int) -> Holder | None:
        return await self._one_holder("id = ?", holder_id)

    async def holder_by_login(self, login_id: str) -> Holder | None:
        return await self._one_holder("login_id = ?", login_id)

    async def _one_holder(self, where: str, value: object) -> Holder | None:
        def work(db: sqlite3.Connection) -> Holder | None:
            row = db.execute(f"SELECT * FROM holders WHERE {where}", (value,)).fetchone()
            return holder_row(row) if row else None

        return await self._tx.run_read(work)

    async def count_holders(self) -> int:
        return await self._tx.run_read(
            lambda db: int(db.execute("SELECT count(*) FROM holders").fetchone()[0])
        )

    async def add_contract(self, holder_id: int, new: NewContract) -> Contract:
        fields = dataclasses.asdict(new)
        columns = ", ".join(["holder_id", *fields])
        marks = ", ".join("?" * (len(fields) + 1))
        sql, values = (
            f"INSERT INTO contracts ({columns}) VALUES ({marks}) RETURNING id",
            (holder_id, *fields.values()),
        )
        contract_id: int = await self._tx.run_write(
            lambda db: db.execute(sql, values).fetchone()[0]
        )
        return Contract(id=contract_id, holder_id=holder_id, **fields)

    async def contracts_of(self, holder_id: int) -> list[Contract]:
        def work(db: sqlite3.Connection) -> list[Contract]:
            rows = db.execute(
                "SELECT * FROM contracts WHERE holder_id = ? ORDER BY start_date, id", (holder_id,)
            ).fetchall()
            return [contract_row(row) for row in rows]

        return await self._tx.run_read(work)
