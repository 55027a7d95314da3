"""Store helpers for tests: a challenge on a number the test names, the number pool's
promises checked on what a burst of logins created, and the database thread held busy."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Sequence

from callauth.db.challenge_units import Chooser, NewChallenge
from callauth.db.models import Challenge, ChallengeState
from callauth.db.store import Store


def on_number(number: str, code: str | None = None) -> Chooser:
    """A chooser that always picks ``number`` (and ``code``), whatever the phone was shown."""
    return lambda shown: (number, code, {})


async def create_on(
    store: Store,
    holder_id: int,
    session_ref: str,
    phone_e164: str,
    number: str,
    ttl: int,
    *,
    code: str | None = None,
    max_live: int = 100,
) -> Challenge:
    challenge = await store.create_challenge(
        NewChallenge(holder_id, session_ref, phone_e164, ttl),
        on_number(number, code),
        history=3600,
        max_live=max_live,
    )
    assert challenge is not None
    return challenge


async def assert_pool_promises(
    store: Store, created: Sequence[Challenge | None], max_live: int
) -> None:
    """Of ``created``, those still pending: no (phone, number) pair shared without a
    distinct code on each, and at most ``max_live`` per holder."""
    live = [c for c in [await store.challenge(c.id) for c in created if c] if c]
    live = [c for c in live if c.state is ChallengeState.PENDING]
    by_pair: dict[tuple[str, str], list[str | None]] = {}
    for challenge in live:
        by_pair.setdefault((challenge.phone_e164, challenge.auth_number), []).append(challenge.code)
    for pair, codes in by_pair.items():
        if len(codes) > 1:
            assert all(codes) and len(set(codes)) == len(codes), pair
    per_holder: dict[int, int] = {}
    for challenge in live:
        per_holder[challenge.holder_id] = per_holder.get(challenge.holder_id, 0) + 1
    assert max(per_holder.values()) <= max_live


@contextlib.asynccontextmanager
async def database_thread_busy(store: Store) -> AsyncIterator[None]:
    """While inside, the database thread runs a read that waits: batched units queue (on
    PostgreSQL, which has no such thread, the read just waits on a pool connection)."""
    started, release = threading.Event(), threading.Event()

    def hold(_: object) -> None:
        started.set()
        release.wait(10)

    held = asyncio.ensure_future(store.transactions.run_read(hold))
    await asyncio.to_thread(started.wait, 10)  # until the read is running
    try:
        yield
    finally:
        release.set()
        await held
