"""PostgreSQL going away under two running instances: calls in flight end ``error``
(never a false ``verified``), ``/healthz`` says so, and both instances recover by
themselves within seconds of the server coming back, LISTEN included.

The session's cluster is stopped and started again here (``finally`` restarts it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient

from callauth.db.models import ChallengeState
from callauth.ivr import phone_policy
from callauth.ivr.config import Config
from callauth.ivr.simulator import CallResult
from callauth.site import create_site, store_of
from callauth.web.keys import SERVICES
from tests.agi_support import add_holder, call, challenge_state, dialled, fastagi
from tests.pg_cluster import Cluster
from tests.test_web_verify import next_message, status_of
from tests.web_support import login, seed_holder

Client = TestClient[Any, Any]
CALLS = 40


async def health_becomes(client: Client, status: int, within: float) -> float:
    """Seconds until ``/healthz`` answers ``status`` (fails after ``within``)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(int(within / 0.05)):
        if (await client.get("/healthz")).status == status:
            return loop.time() - start
        await asyncio.sleep(0.05)
    raise AssertionError(f"/healthz did not answer {status} within {within} s")


async def test_a_database_restart_under_calls_fails_them_honestly_and_both_recover(
    pg: Cluster,
    pg_url: str,
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> None:
    a = await aiohttp_client(create_site(Config(db=pg_url)))
    b = await aiohttp_client(create_site(Config(db=pg_url)))
    holders = [
        await add_holder(store_of(b.app), f"h{i}", f"+81901234{i:04d}") for i in range(CALLS)
    ]
    service = b.app[SERVICES].calls
    challenges = [await service.start_challenge(h.id, h.phone_e164 or "", f"s{h.id}")
                  for h in holders]  # fmt: skip
    results: list[CallResult] = []
    async with fastagi(store_of(b.app)) as agi_b:

        async def calls() -> None:
            for holder, challenge in zip(holders, challenges, strict=True):
                assert challenge is not None
                cli = phone_policy.domestic(holder.phone_e164 or "")
                results.append(await call(agi_b, caller=cli, dialled=dialled(challenge)))

        storm = asyncio.create_task(calls())
        await asyncio.sleep(0.05)
        try:
            await asyncio.to_thread(pg.pg_ctl, "-m", "fast", "stop")
            await health_becomes(a, 503, 5.0)
            await health_becomes(b, 503, 5.0)
            await storm
        finally:
            await asyncio.to_thread(pg.start)
        back = max(await health_becomes(a, 200, 10.0), await health_becomes(b, 200, 10.0))
    outcomes = [r.outcome for r in results]
    assert "error" in outcomes, outcomes  # the calls placed while the server was down
    assert set(outcomes) <= {"verified", "error"}, outcomes
    for result, challenge in zip(results, challenges, strict=False):
        if result.outcome == "verified":  # never a verified the database does not hold
            assert challenge is not None
            assert await challenge_state(store_of(b.app), challenge.id) is ChallengeState.VERIFIED
    print(f"{outcomes.count('verified')} verified, {outcomes.count('error')} error;"
          f" both healthy {back:.2f} s after the server was back")  # fmt: skip
    await a_call_on_b_still_moves_a_page_on_a(a, b)


async def a_call_on_b_still_moves_a_page_on_a(a: Client, b: Client) -> None:
    await seed_holder(store_of(a.app), "yamada", "correct horse", "+819012345678")
    assert await login(a, "yamada", "correct horse") == (302, "/verify")
    number = (await status_of(a))["auth_number"]
    async with fastagi(store_of(b.app)) as agi_b, a.get("/verify/events") as stream:
        assert (await next_message(stream))["state"] == "pending"
        heard = asyncio.create_task(next_message(stream, wait=30))
        assert (await call(agi_b, dialled=number)).outcome == "verified"
        assert (await asyncio.wait_for(heard, 5.0))["state"] == "verified"
