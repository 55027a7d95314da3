"""Login throttles seen from the browser: attempts counted before the password is checked,
strangers unable to lock the holder out, the per-ID ceiling, a restart, a full pool.

Different client addresses are real: loopback 127.0.0.0/8 is this machine on Linux, so a
client bound to 127.0.0.2 reaches the test server as a second address.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from callauth.ivr.config import Config
from callauth.site import create_site, store_of
from callauth.web.keys import SERVICES
from tests.conftest import FakeClock
from tests.web_support import csrf_of, seed_holder

Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[Client]]
RIGHT = "correct horse"


def config_for(tmp_path: pathlib.Path, **settings: Any) -> Config:
    # A deep queue: these tests are about the throttle; the pool has its own test below.
    settings.setdefault("password_queue", 256)
    return Config.from_keys(db=str(tmp_path / "callauth.db"), **settings)


async def make(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient, **settings: Any
) -> Client:
    client = await aiohttp_client(create_site(config_for(tmp_path, **settings), clock=clock))
    if await store_of(client.app).holder_by_login("yamada") is None:
        await seed_holder(store_of(client.app), "yamada", RIGHT)
    return client


@contextlib.asynccontextmanager
async def browser_from(client: Client, address: str) -> AsyncIterator[aiohttp.ClientSession]:
    """A browser of its own (cookies and all) whose connections come from ``address``."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with aiohttp.ClientSession(
        base_url=client.make_url("/"),
        connector=connector,
        cookie_jar=aiohttp.CookieJar(unsafe=True),
    ) as session:
        yield session


async def form_token(browser: aiohttp.ClientSession | Client) -> str:
    async with browser.get("/login") as page:
        return csrf_of(await page.text())


async def post_login(
    browser: aiohttp.ClientSession | Client, token: str, password: str, login_id: str = "yamada"
) -> tuple[int, str]:
    data = {"login_id": login_id, "password": password, "csrf_token": token}
    async with browser.post("/login", data=data, allow_redirects=False) as response:
        return response.status, response.headers.get("Location", "") or await response.text()


async def login_from(
    client: Client, address: str, password: str, login_id: str = "yamada"
) -> tuple[int, str]:
    async with browser_from(client, address) as browser:
        return await post_login(browser, await form_token(browser), password, login_id)


async def failures_audited(client: Client) -> int:
    entries = await store_of(client.app).audit_entries(limit=10_000)
    return sum(entry.event == "login_failure" for entry in entries)


@pytest.mark.parametrize("guesses", [40, 100])
async def test_concurrent_wrong_passwords_get_at_most_the_limit_of_checks(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient, guesses: int
) -> None:
    client = await make(tmp_path, clock, aiohttp_client)
    token = await form_token(client)
    checks_before = client.app[SERVICES].passwords.checks
    results = await asyncio.gather(
        *(post_login(client, token, f"guess {n}") for n in range(guesses))
    )
    limit = client.app[SERVICES].throttles.policy.limit
    assert client.app[SERVICES].passwords.checks - checks_before == limit
    assert await failures_audited(client) == limit
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (limit - 1) + [429] * (guesses - limit + 1)
    status, page = await post_login(client, token, RIGHT)  # the holder, after the limit
    assert status == 429 and "約1分後" in page


@pytest.mark.parametrize("guesses", [40, 100])
async def test_the_right_password_sent_after_the_guesses_does_not_get_in(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient, guesses: int
) -> None:
    client = await make(tmp_path, clock, aiohttp_client)
    token = await form_token(client)
    passwords = [f"guess {n}" for n in range(guesses)] + [RIGHT]
    results = await asyncio.gather(*(post_login(client, token, pw) for pw in passwords))
    assert client.app[SERVICES].passwords.checks <= client.app[SERVICES].throttles.policy.limit
    assert results[-1][0] == 429
    assert all(status in (200, 429) for status, _ in results)


async def test_wrong_passwords_from_one_address_do_not_stop_the_holder_at_another(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient
) -> None:
    client = await make(tmp_path, clock, aiohttp_client)
    async with browser_from(client, "127.0.0.1") as stranger:
        token = await form_token(stranger)
        results = [await post_login(stranger, token, f"guess {n}") for n in range(6)]
    assert [status for status, _ in results] == [200, 200, 200, 200, 429, 429]
    assert await login_from(client, "127.0.0.2", RIGHT) == (302, "/verify")


async def strangers_fail(client: Client, clock: FakeClock, failures: int, first: int = 10) -> int:
    """``failures`` checked wrong passwords for yamada, each from a new address 127.0.0.N
    (so no pair or address back-off applies), waiting out the ID's slow-down; next free N."""
    pool = client.app[SERVICES].passwords
    address = first
    for _ in range(failures):
        checks = pool.checks
        while (await login_from(client, f"127.0.0.{address}", "guess"))[0] == 429:
            if pool.checks > checks:
                break  # checked, and its failure now makes the ID wait
            clock.advance(60)  # refused unchecked: strangers get one check a minute
        address += 1
    return address


async def test_strangers_slow_the_id_but_the_holders_own_address_still_logs_in(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient
) -> None:
    client = await make(tmp_path, clock, aiohttp_client, login_limit=2, login_id_lock=12)
    assert await login_from(client, "127.0.0.1", RIGHT) == (302, "/verify")  # the holder's own
    next_address = await strangers_fail(client, clock, 8)  # 4 x login_limit: slowed now
    status, page = await login_from(client, f"127.0.0.{next_address}", RIGHT)
    assert status == 429 and "約1分後" in page  # even the right password waits, elsewhere
    assert await login_from(client, "127.0.0.1", RIGHT) == (302, "/verify")


async def test_the_id_ceiling_locks_every_address_until_the_operator_unlocks_it(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient
) -> None:
    client = await make(tmp_path, clock, aiohttp_client, login_limit=2, login_id_lock=12)
    assert await login_from(client, "127.0.0.1", RIGHT) == (302, "/verify")
    await strangers_fail(client, clock, 11)
    clock.advance(60)
    status, page = await login_from(client, "127.0.0.200", "guess")  # the 12th failure
    assert status == 403 and "コールセンター" in page
    status, page = await login_from(client, "127.0.0.1", RIGHT)
    assert status == 403 and "停止" in page
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "callauth", "holders", "unlock", "yamada", "--db", str(tmp_path / "callauth.db")],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={**os.environ, "CALLAUTH_LOGIN_ID_LOCK": "12"},  # the server's own configuration
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "unlocked yamada" in done.stdout and "was locked" in done.stdout
    assert await login_from(client, "127.0.0.1", RIGHT) == (302, "/verify")
    events = [entry.event for entry in await store_of(client.app).audit_entries(limit=10_000)]
    assert "login_unlocked" in events


async def test_a_throttle_survives_a_restart(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient
) -> None:
    client = await make(tmp_path, clock, aiohttp_client)
    token = await form_token(client)
    for n in range(5):
        await post_login(client, token, f"guess {n}")
    await client.close()  # the server stops: its store closes
    restarted = await make(tmp_path, clock, aiohttp_client)
    status, page = await post_login(restarted, await form_token(restarted), RIGHT)
    assert status == 429 and "約1分後" in page


async def test_a_full_password_pool_answers_503_at_once_but_not_to_a_familiar_address(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient
) -> None:
    client = await make(tmp_path, clock, aiohttp_client, password_workers=1, password_queue=0)
    token = await form_token(client)
    with client.app[SERVICES].passwords.ticket():  # the one place is taken
        async with client.post(
            "/login",
            data={"login_id": "yamada", "password": RIGHT, "csrf_token": token},
            allow_redirects=False,
        ) as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == "5"
            assert "混み合って" in await response.text()
    assert (await client.app[SERVICES].throttles.state("yamada")).consecutive_failures == 0
    assert client.app[SERVICES].passwords.refused == 1
    assert await post_login(client, token, RIGHT) == (302, "/verify")
    # Now this address is the holder's own: a pool full of strangers' guesses lets it in.
    with client.app[SERVICES].passwords.ticket():
        assert await login_from(client, "127.0.0.1", RIGHT) == (302, "/verify")
        assert (await login_from(client, "127.0.0.2", RIGHT))[0] == 503
