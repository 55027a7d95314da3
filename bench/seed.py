"""Benchmark databases: many holders, pending and expired challenges, and the calls to make.

Holder ``i`` has login ID ``h<i>`` and phone ``phone_of(i)``. Passwords are hashed once,
with cheap argon2 parameters, so that thousands of benchmark logins take seconds: argon2's
cost is deliberate and is not what these benchmarks measure.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from argon2 import PasswordHasher

from callauth.db.challenge_units import NewChallenge
from callauth.db.clock import system_clock
from callauth.db.models import NewHolder
from callauth.db.store import Store
from callauth.ivr import phone_policy
from callauth.ivr.config import Telephony

PASSWORD = "bench-password"
#: How long ago the expired challenges were created (they lived 120 s).
EXPIRED_AGE = 600


def phone_of(index: int) -> str:
    return f"+8190{10_000_000 + index:08d}"  # 090-1000-0000 onwards: valid mobile numbers


def domestic(e164: str) -> str:
    return phone_policy.domestic(e164)


@dataclass
class Plan:
    """Which holders play which part, and the calls each benchmark places."""

    holders: int
    verified: list[list[str]] = field(default_factory=list)  # [caller, dialled, presentation]
    withheld: list[list[str]] = field(default_factory=list)
    unknown: list[list[str]] = field(default_factory=list)
    expired: list[list[str]] = field(default_factory=list)
    #: Login IDs of holders with no challenge yet, for the waiting-browser benchmark.
    idle_logins: list[str] = field(default_factory=list)

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(asdict(self), file)

    @classmethod
    def load(cls, path: str) -> Plan:
        with open(path, encoding="utf-8") as file:
            return cls(**json.load(file))

    def mix(self, count: int, rng: random.Random) -> list[list[str]]:
        """``count`` calls, 70% verified / 10% withheld / 10% unknown / 10% expired, each
        call's caller used once; the lists are consumed from the front."""
        parts = {"verified": 0.7, "withheld": 0.1, "unknown": 0.1, "expired": 0.1}
        calls: list[list[str]] = []
        for name, share in parts.items():
            pool: list[list[str]] = getattr(self, name)
            take = round(count * share)
            if take > len(pool):
                raise ValueError(f"plan has {len(pool)} {name} calls, {take} needed")
            calls += pool[:take]
            del pool[:take]
        rng.shuffle(calls)
        return calls


def _holders(count: int, password_hash: str) -> Iterator[NewHolder]:
    for i in range(count):
        yield NewHolder(f"h{i}", password_hash, f"契約者 {i}", phone_e164=phone_of(i))


async def build(path: str, holders: int, pending: int, idle: int, seed: int = 1) -> Plan:
    """Create the database at ``path`` and return the plan of calls against it.

    Holders ``[0, pending)`` wait with a pending challenge (verified calls); the next
    ``pending // 7`` each have an expired one, the next ``pending // 7`` a pending one
    they call withheld; then ``idle`` holders with no challenge for the browser benchmark.
    """
    share = pending // 7
    if pending + 2 * share + idle > holders:
        raise ValueError("not enough holders for the plan")
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    now = system_clock()
    pool = Telephony().auth_numbers_e164
    rng = random.Random(seed)
    plan = Plan(holders=holders)
    store = await Store.open(path)
    try:
        await store.add_holders(_holders(holders, cheap))
        for i in range(pending):
            challenge = await _challenge(store, i, pool, rng, 3600)
            plan.verified.append([domestic(phone_of(i)), domestic(challenge), "allowed"])
        for i in range(pending + share, pending + 2 * share):
            challenge = await _challenge(store, i, pool, rng, 3600)
            plan.withheld.append([domestic(phone_of(i)), domestic(challenge), "prohib"])
        store.clock = lambda: now - EXPIRED_AGE
        for i in range(pending, pending + share):
            challenge = await _challenge(store, i, pool, rng, 120)
            plan.expired.append([domestic(phone_of(i)), domestic(challenge), "allowed"])
    finally:
        await store.close()
    for j in range(share):
        plan.unknown.append([f"080{20_000_000 + j:08d}", domestic(rng.choice(pool)), "allowed"])
    first_idle = pending + 2 * share
    plan.idle_logins = [f"h{i}" for i in range(first_idle, first_idle + idle)]
    return plan


async def _challenge(
    store: Store, index: int, pool: tuple[str, ...], rng: random.Random, ttl: int
) -> str:
    number = rng.choice(pool)
    new = NewChallenge(index + 1, f"bench-{index}", phone_of(index), ttl)
    # One fresh login per phone: the number is the pool's, as the service would draw it.
    await store.create_challenge(new, lambda shown: (number, None, {}), history=ttl, max_live=2)
    return number
