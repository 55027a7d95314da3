"""The attacks of issue 8, replayed as the attacker who holds the password would: a
redial of a number the holder saw, logins kept alive, reissues (tests/one_login_support.py
has the site, its browsers and calls; test_live_logins.py the holder's own live logins)."""

from __future__ import annotations

import pathlib
from collections.abc import AsyncIterator

import pytest

from tests.conftest import FakeClock
from tests.one_login_support import Site, attacker_logs_in, no_attacker_got_in, opened_site


@pytest.fixture
async def site(tmp_path: pathlib.Path, clock: FakeClock) -> AsyncIterator[Site]:
    async with opened_site(tmp_path, clock) as site:
        yield site


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
