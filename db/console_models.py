"""The operators' console's types as the store returns them: accounts, sessions, their
audit trail, and the dashboard's counts (frozen dataclasses and enums, nothing SQLite)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    VIEWER = "viewer"  # sees the dashboard, coverage and holders
    SUPPORT = "support"  # and unlocks holders, cancels stuck changes
    ADMIN = "admin"  # and reads the operators' audit trail

    def allows(self, needed: Role) -> bool:
        order = list(Role)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class Operator:
    id: int
    login: str
    password_hash: str
    role: Role


@dataclass(frozen=True)
class OperatorSession:
    operator: Operator
    csrf: str
    created_at: int


@dataclass(frozen=True)
class OperatorAction:
    at: int
    operator: str  # the login, or "" for a failed login / the command line
    action: str
    holder_id: int | None
    detail: str
    ip: str


@dataclass(frozen=True)
class CallCounts:
    start: int  # the first bucket's start (epoch seconds)
    bucket: int  # seconds per bucket
    buckets: int
    #: outcome → one count per bucket, oldest first
    by_outcome: dict[str, list[int]]

    @property
    def total(self) -> int:
        return sum(sum(counts) for counts in self.by_outcome.values())

    @property
    def verified(self) -> int:
        return sum(self.by_outcome.get("verified", []))


@dataclass(frozen=True)
class Overview:
    last_day: CallCounts  # by hour
    last_month: CallCounts  # by day
    #: Seconds from a password passed to the call that verified it, last 30 days.
    median_to_verified: float | None
    verified_logins: int
    pending_now: int
