"""Shared pieces of the FastAGI tests: a running server over a real store, simulated calls."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from callauth.db.models import Challenge, ChallengeState, Holder, NewHolder
from callauth.db.store import Store
from callauth.ivr import phone_policy
from callauth.ivr.agi_server import FastAgiServer, start_fastagi
from callauth.ivr.config import Address, Config
from callauth.ivr.service import VerificationService
from callauth.ivr.simulator import CallResult, CallSpec, place_call, run_call

HOLDER_PHONE = "+819012345678"
HOLDER_CLI = "09012345678"
#: Every test call is bounded; a frozen server fails the test instead of hanging it.
CALL_TIMEOUT = 5.0


async def add_holder(store: Store, login_id: str = "demo", phone: str = HOLDER_PHONE) -> Holder:
    return await store.add_holder(
        NewHolder(login_id=login_id, password_hash="not-a-hash", name="山田 太郎", phone_e164=phone)
    )


@contextlib.asynccontextmanager
async def fastagi(store: Store, **settings: Any) -> AsyncIterator[FastAgiServer]:
    """A FastAGI server on a free loopback port, closed on exit."""
    config = Config.from_keys(agi=Address("127.0.0.1", 0), **settings)
    server = await start_fastagi(VerificationService(store, config), config.telephony)
    try:
        yield server
    finally:
        await server.close()


async def start_challenge(server: FastAgiServer, holder: Holder, session: str = "s1") -> Challenge:
    assert holder.phone_e164 is not None
    challenge = await server.service.start_challenge(holder.id, holder.phone_e164, session)
    assert challenge is not None
    return challenge


async def last_call(store: Store) -> tuple[str, str]:
    """The newest call log row's (outcome, reason)."""
    last = (await store.recent_calls(1))[0]
    return last.outcome, last.reason


async def challenge_state(store: Store, challenge_id: int) -> ChallengeState:
    challenge = await store.challenge(challenge_id)
    assert challenge is not None
    return challenge.state


def dialled(challenge: Challenge) -> str:
    """The auth number as the caller dials it (domestic digits)."""
    return phone_policy.domestic(challenge.auth_number)


async def call(server: FastAgiServer, **kwargs: Any) -> CallResult:
    kwargs.setdefault("caller", HOLDER_CLI)
    async with asyncio.timeout(CALL_TIMEOUT):
        return await place_call("127.0.0.1", server.port, **kwargs)


async def call_spec(
    server: FastAgiServer, spec: CallSpec, sounds: Callable[[str], bool] | None = None
) -> CallResult:
    """``spec`` placed against the server; ``sounds`` says which prompts are installed."""
    async with asyncio.timeout(CALL_TIMEOUT):
        if sounds is None:
            return await run_call("127.0.0.1", server.port, spec)
        return await run_call("127.0.0.1", server.port, spec, sound_exists=sounds)


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()
