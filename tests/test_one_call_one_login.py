"""The attacks of issue 8, replayed as the attacker who holds the password would.

A real site (aiohttp on a loopback port over a real SQLite file), browsers with their own
cookie jars, and calls over real TCP from the simulated Asterisk to the FastAGI server.
"""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from callauth.db.email_confirmations import EmailConfirmations
from callauth.db.models import ChallengeState
from callauth.db.outbox import Outbox
from callauth.ivr.agi_server import FastAgiServer, start_fastagi
from callauth.ivr.config import Address, Config
from callauth.ivr.simulator import CallResult, place_call
from callauth.mailer import Mailer, transport_for
from callauth.web.app import create_app
from callauth.web.keys import CONFIG, SERVICE, STORE
from tests.conftest import FakeClock
from tests.smtp_support import SmtpServer
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


async def open_site(tmp_path: pathlib.Path, clock: FakeClock, **settings: Any) -> Site:
    config = Config.from_keys(
        db=str(tmp_path / "callauth.db"), agi=Address("127.0.0.1", 0), **settings
    )
    server = TestServer(create_app(config, clock=clock))
    await server.start_server()
    await seed_holder(server.app[STORE], "yamada", PASSWORD, "+819012345678")
    fastagi = await start_fastagi(server.app[SERVICE], config.telephony)
    return Site(server, fastagi, clock, [])


@pytest.fixture
async def site(tmp_path: pathlib.Path, clock: FakeClock) -> AsyncIterator[Site]:
    site = await open_site(tmp_path, clock)
    try:
        yield site
    finally:
        for browser in site.browsers:
            await browser.session.close()
        await site.fastagi.close()
        await site.server.close()


async def attacker_logs_in(site: Site, times: int) -> list[Browser]:
    attackers = [site.browser() for _ in range(times)]
    for attacker in attackers:
        assert await attacker.login() == "/verify"
    return attackers


async def no_attacker_got_in(attackers: list[Browser]) -> bool:
    return not any([await a.reaches_mypage() for a in attackers])


async def test_the_holders_redial_after_attacker_logins_never_verifies_theirs(site: Site) -> None:
    holder = site.browser()
    assert await holder.login() == "/verify"
    shown = (await holder.status())["auth_number"]
    site.clock.advance(121)  # the holder's own login has just expired
    attackers = await attacker_logs_in(site, 8)  # every number of the pool is taken
    result = await site.call(shown)  # the redial from the phone's call history
    assert result.outcome != "verified"
    assert await no_attacker_got_in(attackers)
    # ... and the holder's own fresh login verifies with one correct call.
    again = site.browser()
    assert await again.login() == "/verify"
    assert (await site.verify_with_one_call(again)).outcome == "verified"
    assert await again.reaches_mypage()
    assert await no_attacker_got_in(attackers)


@pytest.mark.parametrize("attacker_logins", [1, 2, 7, 8, 9, 20])
async def test_no_redial_of_any_number_the_holder_saw_completes_an_attackers_login(
    site: Site, attacker_logins: int
) -> None:
    seen = []
    for _ in range(3):  # the holder logs in (and out by expiry) a few times
        holder = site.browser()
        assert await holder.login() == "/verify"
        seen.append((await holder.status())["auth_number"])
        site.clock.advance(121)
    attackers = await attacker_logs_in(site, attacker_logins)
    for number in seen:
        assert (await site.call(number)).outcome != "verified"
    assert await no_attacker_got_in(attackers)


async def test_attacker_logins_kept_alive_cannot_lock_the_holder_out(site: Site) -> None:
    attackers = await attacker_logs_in(site, 8)
    for round_ in range(4):
        holder = site.browser()
        assert await holder.login() == "/verify"
        status = await holder.status()
        result = await site.verify_with_one_call(holder)
        assert result.outcome == "verified", (round_, status)
        assert await holder.reaches_mypage()
        # The attacker renews what they can without the password and logs in again.
        for attacker in attackers:
            await attacker.reissue()
        attackers += await attacker_logs_in(site, 2)
        site.clock.advance(30)
    assert await no_attacker_got_in(attackers)


async def test_a_holder_keeps_at_most_two_live_logins_and_the_oldest_page_is_told(
    site: Site,
) -> None:
    first, second, third = site.browser(), site.browser(), site.browser()
    for browser in (first, second, third):
        assert await browser.login() == "/verify"
    status = await first.status()
    assert (status["state"], status["ended_by"]) == ("cancelled", "superseded")
    assert "新しいログイン" in status["notice"] and "コールセンター" in status["notice"]
    assert (await second.status())["state"] == "pending"
    assert (await third.status())["state"] == "pending"
    html = await (await first.session.get(site.server.make_url("/verify"))).text()
    assert status["notice"] in html
    entries = await site.server.app[STORE].audit_entries()
    assert any(e.event == "challenge_cancelled" and "superseded" in e.detail for e in entries)


async def test_a_verified_login_ends_the_holders_other_live_login(site: Site) -> None:
    first, second = site.browser(), site.browser()
    for browser in (first, second):
        assert await browser.login() == "/verify"
    assert (await site.verify_with_one_call(second)).outcome == "verified"
    status = await first.status()
    assert (status["state"], status["ended_by"]) == ("cancelled", "verified_elsewhere")
    assert "別の画面または端末でのログインが完了しました" in status["notice"]
    # Its number is dead now: the holder calling it again completes nothing.
    assert not await first.reaches_mypage()


async def test_the_verified_elsewhere_notice_reaches_the_other_open_page_at_once(
    site: Site,
) -> None:
    first, second = site.browser(), site.browser()
    for browser in (first, second):
        assert await browser.login() == "/verify"
    events = await first.session.get(site.server.make_url("/verify/events"))
    pending = await _next_data(events)
    assert pending["state"] == "pending"
    await site.verify_with_one_call(second)
    async with asyncio.timeout(1.0):  # the done-when: within 1 s
        notice = await _next_data(events)
    assert notice["ended_by"] == "verified_elsewhere" and notice["notice"]
    events.close()


async def _next_data(response: aiohttp.ClientResponse) -> dict[str, Any]:
    import json

    while True:
        line = (await response.content.readline()).decode()
        if line.startswith("data: "):
            return dict(json.loads(line[6:]))


async def test_reissue_is_limited_per_login_and_each_redraws_a_number(site: Site) -> None:
    holder = site.browser()
    assert await holder.login() == "/verify"
    numbers = [(await holder.status())["auth_number"]]
    for _ in range(3):
        site.clock.advance(121)
        assert await holder.reissue() == "/verify"
        numbers.append((await holder.status())["auth_number"])
    assert len(set(numbers)) == 4  # never a number the phone was just shown
    site.clock.advance(121)
    assert await holder.reissue() == "/login?reissue_limit=1"
    page = await holder.session.get(site.server.make_url("/login?reissue_limit=1"))
    assert "もう一度ログインしてください" in await page.text()


async def test_a_superseded_page_cannot_reissue_without_the_password(site: Site) -> None:
    first, *_ = [site.browser() for _ in range(3)]
    for browser in site.browsers:
        assert await browser.login() == "/verify"
    assert await first.reissue() == "/login"


async def test_pool_of_one_two_tabs_show_their_codes_and_each_verifies_its_own(
    tmp_path: pathlib.Path, clock: FakeClock
) -> None:
    site = await open_site(tmp_path, clock, auth_numbers=("0120111222",))
    try:
        tab1, tab2 = site.browser(), site.browser()
        assert await tab1.login() == "/verify" and await tab2.login() == "/verify"
        one, two = await tab1.status(), await tab2.status()
        assert one["code"] and two["code"] and one["code"] != two["code"]
        html = await (await tab1.session.get(site.server.make_url("/verify"))).text()
        assert f'id="code">{one["code"]}<' in html
        wrong = next(c for c in ("0000", "1111", "2222") if c not in (one["code"], two["code"]))
        assert (await site.call("0120111222", wrong)).outcome == "not_matched"
        assert (await tab1.status())["state"] == (await tab2.status())["state"] == "pending"
        assert (await site.call("0120111222", two["code"])).outcome == "verified"
        assert await tab2.reaches_mypage() and not await tab1.reaches_mypage()
    finally:
        for browser in site.browsers:
            await browser.session.close()
        await site.fastagi.close()
        await site.server.close()


async def test_hundreds_of_concurrent_logins_never_share_a_number_without_codes(
    site: Site,
) -> None:
    store, service = site.server.app[STORE], site.server.app[SERVICE]
    holders = [await seed_holder(store, f"h{i}", "pw", f"+8190000000{i % 4:02d}",
                                 with_contracts=False) for i in range(12)]  # fmt: skip
    starts = [
        service.start_challenge(h.id, h.phone_e164 or "", f"session-{n}-{h.id}")
        for n in range(25)
        for h in holders
    ]
    created = await asyncio.gather(*starts)
    assert len(created) == 300 and all(created)
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
    assert max(per_holder.values()) <= 2


async def test_a_call_that_completes_a_login_sends_the_holder_a_login_mail(
    tmp_path: pathlib.Path, clock: FakeClock
) -> None:
    """The third attack: the right phone calls a number the holder never saw and completes
    someone else's login. The call cannot know; the holder must hear of it."""
    relay = SmtpServer()
    await relay.start()
    site = await open_site(tmp_path, clock, smtp=relay.address)
    store = site.server.app[STORE]
    await EmailConfirmations(store).mark_confirmed(1, "test")  # yamada's address is proven
    config = site.server.app[CONFIG]
    mailer = Mailer(Outbox(store), config.site, store.clock, transport_for(config))
    sending = asyncio.create_task(mailer.run())
    try:
        attacker = site.browser()
        assert await attacker.login() == "/verify"
        assert (await site.verify_with_one_call(attacker)).outcome == "verified"
        (mail,) = await relay.inbox.wait_for(1)
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        for browser in site.browsers:
            await browser.session.close()
        await site.fastagi.close()
        await site.server.close()
        await relay.stop()
    assert mail.recipients == ("taro@example.jp",)
    assert "ログイン" in mail.message["Subject"]
    body = mail.body
    assert "5678" in body and "コールセンター" in body
    for personal in ("09012345678", "090-1234-5678", "+819012345678", "山田", "yamada", "MS-"):
        assert personal not in body and personal not in mail.message["Subject"]
