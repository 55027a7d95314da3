"""What the operator console's dashboard and coverage pages count, each in one read."""

from __future__ import annotations

import sqlite3

from callauth.db.console_models import CallCounts, Overview
from callauth.db.store import Store

__all__ = ["CallCounts", "Dashboard", "Overview"]

JST_OFFSET = 9 * 3600


def _counts(db: sqlite3.Connection, start: int, bucket: int, buckets: int) -> CallCounts:
    rows = db.execute(
        "SELECT (received_at - ?) / ? AS slot, outcome, count(*) FROM calls"
        " WHERE received_at >= ? AND received_at < ? GROUP BY slot, outcome",
        (start, bucket, start, start + bucket * buckets),
    ).fetchall()
    by_outcome: dict[str, list[int]] = {}
    for slot, outcome, count in rows:
        by_outcome.setdefault(outcome, [0] * buckets)[int(slot)] = int(count)
    return CallCounts(start, bucket, buckets, by_outcome)


def _median(db: sqlite3.Connection, since: int) -> tuple[float | None, int]:
    waits = (
        "SELECT k.received_at - c.created_at AS wait FROM challenges c"
        " JOIN calls k ON k.id = c.verified_call_id"
        " WHERE c.kind = 'login' AND c.created_at >= ? AND c.verified_call_id IS NOT NULL"
    )
    count = int(db.execute(f"SELECT count(*) FROM ({waits}) AS waits", (since,)).fetchone()[0])
    if not count:
        return None, 0
    middle = db.execute(
        f"SELECT wait FROM ({waits}) AS waits ORDER BY wait LIMIT ? OFFSET ?",
        (since, 2 - count % 2, (count - 1) // 2),
    ).fetchall()
    return sum(row[0] for row in middle) / len(middle), count


class Dashboard:
    def __init__(self, store: Store) -> None:
        self._tx = store.transactions
        self._clock = store.clock

    async def overview(self) -> Overview:
        now = self._clock()
        hour, day = 3600, 86400
        first_hour = (now // hour - 23) * hour
        # Days are Japanese calendar days (UTC+9, no daylight saving).
        first_day = ((now + JST_OFFSET) // day - 29) * day - JST_OFFSET

        def work(db: sqlite3.Connection) -> Overview:
            median, verified = _median(db, now - 30 * day)
            pending = db.execute(
                "SELECT count(*) FROM challenges WHERE state = 'pending' AND expires_at > ?",
                (now,),
            ).fetchone()[0]
            return Overview(
                _counts(db, first_hour, hour, 24),
                _counts(db, first_day, day, 30),
                median,
                verified,
                int(pending),
            )

        return await self._tx.run_read(work)

    async def registered_numbers(self) -> list[tuple[str | None, int]]:
        """(number or None, how many holders have it), for the coverage page to classify."""
        return await self._tx.run_read(
            lambda db: [
                (row[0], int(row[1]))
                for row in db.execute(
                    "SELECT phone_e164, count(*) FROM holders GROUP BY phone_e164"
                )
            ]
        )

    async def holders_with(self, numbers: set[str], without: bool) -> list[tuple[str, ...]]:
        """(login ID, name, kana, email, number) of holders whose number is in ``numbers``
        (and, with ``without``, of those with none), by login ID."""

        def work(db: sqlite3.Connection) -> list[tuple[str, ...]]:
            rows = db.execute(
                "SELECT login_id, name, kana, coalesce(email, ''), phone_e164 FROM holders"
                " ORDER BY login_id"
            )
            return [
                tuple(row)
                for row in rows
                if (row[4] is None and without) or (row[4] is not None and row[4] in numbers)
            ]

        return await self._tx.run_read(work)
