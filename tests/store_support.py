"""Store helpers for tests: a challenge on a number the test names."""

from __future__ import annotations

from callauth.db.challenge_units import Chooser, NewChallenge
from callauth.db.models import Challenge
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
