"""Two instances on one PostgreSQL: the page is held by instance A, the call reaches
instance B's FastAGI, and A's open SSE stream hears ``verified`` (LISTEN/NOTIFY) within
1 s, and still hears it when its LISTEN connection was cut just before. Each instance is
a whole app (its own store, pool and LISTEN connection)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from callauth.db.pg_events import APPLICATION_NAME
from callauth.ivr.config import Config
from callauth.site import create_site, store_of
from tests.agi_support import HOLDER_PHONE, call, fastagi
from tests.pg_cluster import Cluster
from tests.test_web_verify import next_message, status_of
from tests.web_support import login, seed_holder

Client = TestClient[Any, Any]


async def a_login_on_a(
    pg_url: str, aiohttp_client: Callable[..., Awaitable[Client]]
) -> tuple[Client, Client, str]:
    """Instances A and B on one database, and a holder's login waiting on A: (A, B, the
    number A's page shows)."""
    a = await aiohttp_client(create_site(Config(db=pg_url)))
    b = await aiohttp_client(create_site(Config(db=pg_url)))
    await seed_holder(store_of(a.app), "yamada", "correct horse", HOLDER_PHONE)
    assert await login(a, "yamada", "correct horse") == (302, "/verify")
    return a, b, (await status_of(a))["auth_number"]


async def test_a_call_to_instance_b_moves_the_page_held_by_instance_a_within_a_second(
    pg_url: str, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    a, b, number = await a_login_on_a(pg_url, aiohttp_client)
    loop = asyncio.get_running_loop()
    async with fastagi(store_of(b.app)) as agi_b, a.get("/verify/events") as stream:
        assert (await next_message(stream))["state"] == "pending"
        heard = asyncio.create_task(next_message(stream, wait=30))
        result = await call(agi_b, dialled=number)
        ended = loop.time()
        assert result.outcome == "verified", result
        message = await asyncio.wait_for(heard, 1.0)  # at most 1 s after B answered
        assert message["state"] == "verified"
    print(f"verified on instance A's page {(loop.time() - ended) * 1000:.0f} ms after B's call")
    assert (await status_of(a))["state"] == "verified"


async def test_a_lost_listen_connection_comes_back_and_the_page_still_hears_verified(
    pg: Cluster, pg_url: str, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    a, b, number = await a_login_on_a(pg_url, aiohttp_client)
    async with fastagi(store_of(b.app)) as agi_b, a.get("/verify/events") as stream:
        assert (await next_message(stream))["state"] == "pending"
        heard = asyncio.create_task(next_message(stream, wait=30))
        admin = await asyncpg.connect(pg.url("postgres"))
        try:  # every LISTEN connection on the database is cut, A's among them
            cut = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = $1 AND datname = $2",
                APPLICATION_NAME, pg_url.rsplit("/", 1)[1],
            )  # fmt: skip
        finally:
            await admin.close()
        assert cut == 2
        result = await call(agi_b, dialled=number)  # while A listens again, or before
        assert result.outcome == "verified", result
        message = await asyncio.wait_for(heard, 5.0)
        assert message["state"] == "verified"
