"""Two real `callauth serve` processes on one PostgreSQL database: a login on A, the call
to B's FastAGI port, A's open SSE stream hears ``verified`` within 1 s; then A is killed
(SIGKILL) and B goes on serving every page and call by itself."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from callauth.db.store import Store
from tests.serve_process import CALLAUTH, Server
from tests.web_support import csrf_of, seed_holder


@pytest.fixture
async def instances(pg_url: str, tmp_path: Path) -> AsyncIterator[tuple[Server, Server]]:
    store = await Store.open(pg_url)
    await seed_holder(store, "yamada", "correct horse", "+819012345678")
    await store.close()
    a = Server(tmp_path, db=pg_url, demo=False)
    try:
        b = Server(tmp_path, db=pg_url, demo=False)
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()


async def log_in(session: aiohttp.ClientSession, server: Server) -> str:
    """Log in as yamada on ``server``; the number the page shows."""
    base = f"http://{server.http}"
    async with session.get(f"{base}/login") as page:
        token = csrf_of(await page.text())
    form = {"login_id": "yamada", "password": "correct horse", "csrf_token": token}
    async with session.post(f"{base}/login", data=form, allow_redirects=False) as response:
        assert response.status == 302 and response.headers["Location"] == "/verify"
    async with session.get(f"{base}/verify/status") as status:
        return str((await status.json())["auth_number"])


async def next_state(stream: aiohttp.ClientResponse) -> str:
    while line := (await stream.content.readline()).decode():
        if line.startswith("data: "):
            return str(json.loads(line[len("data: ") :])["state"])
    raise AssertionError("stream ended")


async def phone_calls(server: Server, number: str) -> str:
    command = [*CALLAUTH, "call", "--from", "09012345678", "--to", number, "--agi", server.agi]
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=30
    )
    return done.stdout.strip()


async def test_a_page_on_one_process_hears_a_call_to_the_other_and_survives_its_death(
    instances: tuple[Server, Server],
) -> None:
    a, b = instances
    jars = [aiohttp.CookieJar(unsafe=True) for _ in "ab"]  # cookies for 127.0.0.1 too
    async with (
        aiohttp.ClientSession(cookie_jar=jars[0]) as on_a,
        aiohttp.ClientSession(cookie_jar=jars[1]) as on_b,
    ):
        number = await log_in(on_a, a)
        loop = asyncio.get_running_loop()
        async with on_a.get(f"http://{a.http}/verify/events") as stream:
            assert await next_state(stream) == "pending"
            heard = asyncio.create_task(asyncio.wait_for(next_state(stream), 30))
            assert await phone_calls(b, number) == "verified"
            ended = loop.time()
            assert await asyncio.wait_for(heard, 1.0) == "verified"
        waited = (loop.time() - ended) * 1000
        print(f"process A's page heard it {waited:.0f} ms after `callauth call` ended")
        a.process.kill()  # no shutdown: its connections just vanish
        a.process.wait(10)
        number = await log_in(on_b, b)
        assert await phone_calls(b, number) == "verified"
        async with on_b.get(f"http://{b.http}/verify/status") as status:
            state: dict[str, Any] = await status.json()
        assert state["state"] == "verified"
        async with on_b.get(f"http://{b.http}/healthz") as health:
            assert health.status == 200
