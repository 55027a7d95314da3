"""A real site for the one-call-one-login tests: aiohttp on a loopback port over a real
SQLite file, browsers with their own cookie jars, and calls over real TCP from the simulated
Asterisk to the FastAGI server."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from callauth.ivr.agi_server import FastAgiServer, start_fastagi
from callauth.ivr.config import Address, Config
from callauth.ivr.simulator import CallResult, place_call
from callauth.site import create_site, store_of
from callauth.web.keys import SERVICES
from tests.conftest import FakeClock
from tests.web_support import csrf_of, seed_holder

HOLDER_CLI = "09012345678"
PASSWORD = "correct horse"


class Browser:
    """One browser: its own cookie jar on the site."""

    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def login(self, login_id: str = "yamada", password: str = PASSWORD) -> str:
        page = await self.session.get(self.server.make_url("/login"))
        response = await self.session.post(
            self.server.make_url("/login"),
            data={"login_id": login_id, "password": password, "csrf_token": csrf_of(await page.text())},
            allow_redirects=False,
        )  # fmt: skip
        return response.headers.get("Location", "")

    async def status(self) -> dict[str, Any]:
        response = await self.session.get(self.server.make_url("/verify/status"))
        return dict(await response.json())

    async def reissue(self) -> str:
        page = await self.session.get(self.server.make_url("/verify"))
        response = await self.session.post(
            self.server.make_url("/verify/reissue"),
            data={"csrf_token": csrf_of(await page.text())},
            allow_redirects=False,
        )
        return response.headers.get("Location", "")

    async def reaches_mypage(self) -> bool:
        response = await self.session.get(self.server.make_url("/mypage"), allow_redirects=False)
        return response.status == 200


@dataclass
class Site:
    server: TestServer
    fastagi: FastAgiServer
    clock: FakeClock
    browsers: list[Browser]

    def browser(self) -> Browser:
        browser = Browser(self.server)
        self.browsers.append(browser)
        return browser

    async def call(
        self, dialled: str, code: str | None = None, caller: str = HOLDER_CLI
    ) -> CallResult:
        async with asyncio.timeout(10):
            return await place_call(
                "127.0.0.1", self.fastagi.port, caller=caller, dialled=dialled,
                dtmf=(code,) if code else (),
            )  # fmt: skip

    async def verify_with_one_call(self, browser: Browser) -> CallResult:
        """The holder calls the number their page shows, keying the code if it shows one."""
        status = await browser.status()
        assert status["state"] == "pending"
        return await self.call(status["auth_number"], status["code"])

    async def close(self) -> None:
        for browser in self.browsers:
            await browser.session.close()
        await self.fastagi.close()
        await self.server.close()


async def open_site(tmp_path: pathlib.Path, clock: FakeClock, **settings: Any) -> Site:
    config = Config.from_keys(
        db=str(tmp_path / "callauth.db"), agi=Address("127.0.0.1", 0), **settings
    )
    server = TestServer(create_site(config, clock=clock))
    await server.start_server()
    await seed_holder(store_of(server.app), "yamada", PASSWORD, "+819012345678")
    fastagi = await start_fastagi(server.app[SERVICES].calls, config.telephony)
    return Site(server, fastagi, clock, [])


@contextlib.asynccontextmanager
async def opened_site(
    tmp_path: pathlib.Path, clock: FakeClock, **settings: Any
) -> AsyncIterator[Site]:
    site = await open_site(tmp_path, clock, **settings)
    try:
        yield site
    finally:
        await site.close()


async def attacker_logs_in(site: Site, times: int) -> list[Browser]:
    attackers = [site.browser() for _ in range(times)]
    for attacker in attackers:
        assert await attacker.login() == "/verify"
    return attackers


async def no_attacker_got_in(attackers: list[Browser]) -> bool:
    return not any([await a.reaches_mypage() for a in attackers])
