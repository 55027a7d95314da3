"""A store gone bad under a running server: 503s and `error` calls, and back by itself.

The site, its admin listener and a real FastAGI server over one store whose file lives in
a folder of its own; calls come from the simulated Asterisk over TCP.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callauth.ivr.agi_server import FastAgiServer, start_fastagi
from callauth.ivr.config import Address, Config
from callauth.ivr.simulator import place_call
from callauth.site import create_site, store_of
from callauth.web.admin_app import create_admin_app
from callauth.web.keys import SERVICES
from tests.conftest import FakeClock
from tests.readonly_support import AS_ROOT, Freezer
from tests.web_support import login, seed_holder

Client = TestClient[Any, Any]
UNAVAILABLE = "ただいまご利用いただけません"


@dataclass
class Site:
    client: Client
    admin: Client
    fastagi: FastAgiServer
    db: Path

    async def call(self, status: dict[str, Any]) -> str | None:
        """The holder's phone calls the number their waiting page shows."""
        code = status.get("code")
        async with asyncio.timeout(10):
            result = await place_call("127.0.0.1", self.fastagi.port, caller="09012345678",
                                      dialled=status["auth_number"],
                                      dtmf=(code,) if code else ())  # fmt: skip
        return result.outcome

    async def health(self) -> tuple[int, dict[str, Any]]:
        response = await self.admin.get("/healthz")
        return response.status, await response.json()


@pytest.fixture
async def site(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> AsyncIterator[Site]:
    db = tmp_path / "data" / "callauth.db"
    db.parent.mkdir()
    config = Config.from_keys(db=str(db), agi=Address("127.0.0.1", 0))
    client = await aiohttp_client(create_site(config, clock=FakeClock()))
    await seed_holder(store_of(client.app), "yamada", "correct horse")
    fastagi = await start_fastagi(client.app[SERVICES].calls, config.telephony)
    try:
        yield Site(client, await aiohttp_client(create_admin_app(client.app)), fastagi, db)
    finally:
        await fastagi.close()


async def waiting_login(site: Site) -> dict[str, Any]:
    assert await login(site.client, "yamada", "correct horse") == (302, "/verify")
    status: dict[str, Any] = await (await site.client.get("/verify/status")).json()
    assert status["state"] == "pending"
    return status


async def test_a_deleted_folder_is_503_and_calls_end_error_until_the_file_is_restored(
    site: Site, tmp_path: Path
) -> None:
    status = await waiting_login(site)
    with sqlite3.connect(site.db) as live, sqlite3.connect(tmp_path / "backup.db") as copy:
        live.backup(copy)  # the operator's backup, taken while the holder waits
    shutil.rmtree(site.db.parent)

    public = await site.client.get("/healthz")
    assert public.status == 503 and await public.json() == {"status": "unavailable"}
    code, detail = await site.health()
    assert (code, detail["db"]) == (503, "missing") and "is gone" in detail["reason"]
    page = await site.client.get("/login")
    assert page.status == 503 and UNAVAILABLE in await page.text()
    assert page.headers["Retry-After"] == "30"
    assert (await site.client.get("/static/style.css")).status == 200
    assert await site.call(status) == "error"  # never "verified" into a deleted file
    assert not site.db.parent.exists()

    site.db.parent.mkdir()
    shutil.copy(tmp_path / "backup.db", site.db)
    assert (await site.client.get("/healthz")).status == 200  # reopened, no restart
    assert (await site.client.get("/login")).status == 200
    assert await site.call(status) == "verified"  # the restored file holds the login
    assert (await (await site.client.get("/verify/status")).json())["state"] == "verified"


async def test_a_failure_a_page_meets_is_a_503_at_once(site: Site) -> None:
    await waiting_login(site)
    site.db.parent.rename(site.db.parent.with_name("aside"))  # no probe has run since
    page = await site.client.get("/verify/status")
    assert page.status == 503 and UNAVAILABLE in await page.text()
    assert (await site.client.get("/login")).status == 503  # now known to every page
    site.db.parent.with_name("aside").rename(site.db.parent)
    assert (await site.health())[0] == 200
    assert (await site.client.get("/verify/status")).status == 200  # same file: same login


@pytest.mark.skipif(not AS_ROOT, reason="chmod cannot take write access from an open file")
async def test_a_read_only_database_is_503_and_error_until_it_is_writable(
    site: Site, freezer: Freezer
) -> None:
    status = await waiting_login(site)
    # WAL mode writes to the -wal file first: freeze both (never -shm: SIGBUS).
    freezer.freeze(site.db, site.db.with_name("callauth.db-wal"))
    code, detail = await site.health()
    assert (code, detail["db"]) == (503, "unwritable")
    assert await site.call(status) == "error"
    assert (await site.client.get("/login")).status == 503
    freezer.thaw()
    assert (await site.client.get("/healthz")).status == 200
    assert await site.call(status) == "verified"
