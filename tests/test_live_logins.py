"""A holder's live logins on a real site: at most two, a verified one ends the other and
its page is told, codes when the pool cannot tell tabs apart, hundreds at once, and a
mail for every login a call completes (tests/one_login_support.py has the site)."""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from callauth.db.email_confirmations import EmailConfirmations
from callauth.db.outbox import Outbox
from callauth.mailer import Mailer, transport_for
from callauth.site import store_of
from callauth.web.keys import CONFIG, SERVICES
from tests.conftest import FakeClock
from tests.one_login_support import Site, open_site, opened_site
from tests.smtp_support import SmtpServer
from tests.store_support import assert_pool_promises
from tests.web_support import seed_holder


@pytest.fixture
async def site(tmp_path: pathlib.Path, clock: FakeClock) -> AsyncIterator[Site]:
    async with opened_site(tmp_path, clock) as site:
        yield site


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
    entries = await store_of(site.server.app).audit_entries()
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


async def test_pool_of_one_two_tabs_show_their_codes_and_each_verifies_its_own(
    tmp_path: pathlib.Path, clock: FakeClock
) -> None:
    async with opened_site(tmp_path, clock, auth_numbers=("0120111222",)) as site:
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


async def test_hundreds_of_concurrent_logins_never_share_a_number_without_codes(
    site: Site,
) -> None:
    store, service = store_of(site.server.app), site.server.app[SERVICES].calls
    holders = [await seed_holder(store, f"h{i}", "pw", f"+8190000000{i % 4:02d}",
                                 with_contracts=False) for i in range(12)]  # fmt: skip
    starts = [
        service.start_challenge(h.id, h.phone_e164 or "", f"session-{n}-{h.id}")
        for n in range(25)
        for h in holders
    ]
    created = await asyncio.gather(*starts)
    assert len(created) == 300 and all(created)
    await assert_pool_promises(store, created, 2)


async def test_a_call_that_completes_a_login_sends_the_holder_a_login_mail(
    tmp_path: pathlib.Path, clock: FakeClock
) -> None:
    """The third attack: the right phone calls a number the holder never saw and completes
    someone else's login. The call cannot know; the holder must hear of it."""
    relay = SmtpServer()
    await relay.start()
    site = await open_site(tmp_path, clock, smtp=relay.address)
    store = store_of(site.server.app)
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
        await site.close()
        await relay.stop()
    assert mail.recipients == ("taro@example.jp",)
    assert "ログイン" in mail.message["Subject"]
    body = mail.body
    assert "5678" in body and "コールセンター" in body
