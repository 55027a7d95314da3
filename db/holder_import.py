"""Holders and contracts from the insurer's core system: one import, one transaction.

A holder is found by its login ID and a contract by its policy number; what exists is
updated in place and what changed is reported field by field, what does not exist is
created. Holders and contracts missing from the file are left as they are (an import
adds and updates, it never deletes). A dry run does all of it and rolls back, so its
report is exactly what the real run would do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from callauth.db.store import Store

#: Holder columns an import may change (holders has the same names).
HOLDER_FIELDS = ("name", "kana", "birth_date", "email", "phone_e164")
CONTRACT_FIELDS = (
    "product", "start_date", "end_date", "insured_name", "insured_phone_e164",
    "insured_same_as_holder", "changeable_online",
)  # fmt: skip
Progress = Callable[[int], None]
#: The progress callback is told every this many holders written.
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class ImportContract:
    policy_number: str
    product: str
    start_date: str
    end_date: str
    insured_name: str
    insured_phone_e164: str | None
    insured_same_as_holder: bool
    changeable_online: bool


@dataclass(frozen=True)
class ImportHolder:
    login_id: str
    name: str
    kana: str
    birth_date: str
    email: str | None
    phone_e164: str | None
    contracts: tuple[ImportContract, ...] = ()


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)  # login IDs
    #: login ID → the holder fields that changed
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: int = 0
    contracts_created: int = 0
    #: policy number → the contract fields that changed ("holder" when it moved)
    contracts_updated: dict[str, list[str]] = field(default_factory=dict)
    contracts_unchanged: int = 0
    dry_run: bool = False


class _DryRun(Exception):
    def __init__(self, report: ImportReport) -> None:
        self.report = report


class HolderImport:
    def __init__(self, store: Store) -> None:
        self._tx = store.transactions
        self._clock = store.clock

    async def existing(self, login_ids: Sequence[str]) -> set[str]:
        """Which of ``login_ids`` already belong to a holder."""

        def work(db: sqlite3.Connection) -> set[str]:
            found: set[str] = set()
            for start in range(0, len(login_ids), 500):
                chunk = login_ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT login_id FROM holders WHERE login_id IN ({marks})", chunk
                )
                found.update(row[0] for row in rows)
            return found

        return await self._tx.run_read(work)

    async def apply(
        self,
        holders: Sequence[ImportHolder],
        password_hashes: dict[str, str],
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
        actor: str = "command line",
    ) -> ImportReport:
        """Write every holder in one transaction. A holder that does not exist yet needs a
        hash in ``password_hashes`` (one found meanwhile is updated and keeps its password);
        ``progress`` runs on the database thread."""
        now = self._clock()

        def work(db: sqlite3.Connection) -> ImportReport:
            report = ImportReport(dry_run=dry_run)
            for done, holder in enumerate(holders, 1):
                holder_id = _holder(db, holder, password_hashes, report, now, actor)
                for contract in holder.contracts:
                    _contract(db, holder_id, contract, report)
                if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(holders)):
                    progress(done)
            if dry_run:
                raise _DryRun(report)  # rolls the transaction back
            return report

        try:
            return await self._tx.run_write(work)
        except _DryRun as rolled_back:
            return rolled_back.report


def _holder(
    db: sqlite3.Connection,
    new: ImportHolder,
    hashes: dict[str, str],
    report: ImportReport,
    now: int,
    actor: str,
) -> int:
    columns = ", ".join(HOLDER_FIELDS)
    row = db.execute(
        f"SELECT id, {columns} FROM holders WHERE login_id = ?", (new.login_id,)
    ).fetchone()
    values = [getattr(new, name) for name in HOLDER_FIELDS]
    if row is None:
        holder_id: int = db.execute(
            f"INSERT INTO holders (login_id, password_hash, {columns}, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            # "!" is no argon2 hash, so it never verifies: only a dry run (rolled back) or a
            # caller that forgot a hash would write it, and neither lets anyone in.
            (new.login_id, hashes.get(new.login_id, "!"), *values, now),
        ).fetchone()[0]
        report.created.append(new.login_id)
        _audit(db, now, holder_id, "holder_imported", f"created by {actor}")
        return holder_id
    holder_id = int(row[0])
    changed = [name for name, old in zip(HOLDER_FIELDS, row[1:], strict=True)
               if old != getattr(new, name)]  # fmt: skip
    if not changed:
        report.unchanged += 1
        return holder_id
    sets = ", ".join(f"{name} = ?" for name in changed)
    if "email" in changed:  # a new address is nobody's until a code mailed to it comes back
        sets += ", email_confirmed_at = NULL"
    db.execute(
        f"UPDATE holders SET {sets} WHERE id = ?",
        (*(getattr(new, name) for name in changed), holder_id),
    )
    report.updated[new.login_id] = changed
    _audit(db, now, holder_id, "holder_imported", f"updated by {actor}: {', '.join(changed)}")
    return holder_id


def _contract(
    db: sqlite3.Connection, holder_id: int, new: ImportContract, report: ImportReport
) -> None:
    columns = ", ".join(CONTRACT_FIELDS)
    row = db.execute(
        f"SELECT id, holder_id, {columns} FROM contracts WHERE policy_number = ?",
        (new.policy_number,),
    ).fetchone()
    values = [_stored(getattr(new, name)) for name in CONTRACT_FIELDS]
    if row is None:
        db.execute(
            f"INSERT INTO contracts (policy_number, holder_id, {columns})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (new.policy_number, holder_id, *values),
        )
        report.contracts_created += 1
        return
    changed = [name for name, old, value in zip(CONTRACT_FIELDS, row[2:], values, strict=True)
               if old != value]  # fmt: skip
    if row[1] != holder_id:
        changed.append("holder_id")  # 契約者変更: the policy moved to another holder
    if not changed:
        report.contracts_unchanged += 1
        return
    sets = ", ".join(f"{name} = ?" for name in changed)
    fresh = {**dict(zip(CONTRACT_FIELDS, values, strict=True)), "holder_id": holder_id}
    db.execute(f"UPDATE contracts SET {sets} WHERE id = ?", (*(fresh[n] for n in changed), row[0]))
    report.contracts_updated[new.policy_number] = changed


def _stored(value: object) -> object:
    return int(value) if isinstance(value, bool) else value


def _audit(db: sqlite3.Connection, now: int, holder_id: int, event: str, detail: str) -> None:
    db.execute(
        "INSERT INTO audit_log (at, holder_id, event, detail) VALUES (?, ?, ?, ?)",
        (now, holder_id, event, detail),
    )


@dataclass(frozen=True)
class ExportRow:
    holder: ImportHolder  # contracts empty: the row's contract is ``contract``
    contract: ImportContract | None


async def export_rows(store: Store) -> list[ExportRow]:
    """Every holder with each of its contracts (one row per contract; a holder without
    one gets one row without a contract), ordered by login ID and policy number."""
    holder_cols = ", ".join(f"h.{name}" for name in ("login_id", *HOLDER_FIELDS))
    contract_cols = ", ".join(f"c.{name}" for name in ("policy_number", *CONTRACT_FIELDS))

    def work(db: sqlite3.Connection) -> list[ExportRow]:
        rows = db.execute(
            f"SELECT {holder_cols}, {contract_cols} FROM holders h"
            " LEFT JOIN contracts c ON c.holder_id = h.id ORDER BY h.login_id, c.policy_number"
        )
        out = []
        for row in rows:
            holder = ImportHolder(*row[:6])
            contract = None
            if row[6] is not None:
                values = list(row[6:])
                values[6], values[7] = bool(values[6]), bool(values[7])
                contract = ImportContract(*values)
            out.append(ExportRow(holder, contract))
        return out

    return await store.transactions.run_read(work)
