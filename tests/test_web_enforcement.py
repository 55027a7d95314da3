"""The enforcement date: before it, password-only login for holders without a usable
number and a banner on every page; from it, the call is required and such a holder gets
a page explaining why and where to turn."""

from __future__ import annotations

import pathlib
from collections.abc import Awaitable, Callable

import pytest

from callauth.ivr.config import Config
from callauth.site import create_site, store_of
from tests.conftest import FakeClock
from tests.phone_change_support import (
    PASSWORD,
    Client,
    apply_for,
    change_id_of,
    change_status,
    place_call,
    submit_change,
)
from tests.web_support import login, seed_holder

#: The fake clock starts on 2027-01-15 (JST).
LATER = "2027-02-01"
BANNER = "から、ログイン時に電話番号による本人認証を行います"


def make(enforcement_date: str) -> Callable[..., Awaitable[Client]]:
    @pytest.fixture
    async def fixture(
        tmp_path: pathlib.Path,
        clock: FakeClock,
        aiohttp_client: Callable[..., Awaitable[Client]],
    ) -> Client:
        config = Config.from_keys(
            db=str(tmp_path / "callauth.db"), enforcement_date=enforcement_date
        )
        return await aiohttp_client(create_site(config, clock=clock))

    return fixture


before = make(LATER)
enforced = make("2027-01-15")


@pytest.mark.parametrize("phone", [None, "+815012345678"])
async def test_before_the_date_password_alone_lets_in(before: Client, phone: str | None) -> None:
    await seed_holder(store_of(before.app), "yamada", PASSWORD, phone)
    assert await login(before, "yamada", PASSWORD) == (302, "/mypage")
    html = await (await before.get("/mypage")).text()
    assert BANNER in html and "2027年2月1日" in html
    assert "電話番号・メールアドレスが未登録の方は登録をお願いします" in html
    events = [e.event for e in await store_of(before.app).audit_entries()]
    assert events[0] == "login_password_only"


async def test_before_the_date_every_page_shows_the_banner(before: Client) -> None:
    for url in ("/login", "/no-such-page"):
        assert BANNER in await (await before.get(url)).text(), url


async def test_before_the_date_a_usable_number_still_calls(before: Client) -> None:
    await seed_holder(store_of(before.app), "yamada", PASSWORD, "+819012345678")
    assert await login(before, "yamada", PASSWORD) == (302, "/verify")


async def test_before_the_date_a_holder_registers_a_number_and_proves_it(
    before: Client, clock: FakeClock
) -> None:
    holder = await seed_holder(store_of(before.app), "yamada", PASSWORD, None)
    await login(before, "yamada", PASSWORD)
    contract = (await store_of(before.app).contracts_of(holder.id))[0]
    page = await (await before.get(f"/mypage/contracts/{contract.id}")).text()
    assert "本人認証に利用できる電話番号が登録されていません" in page
    response = await submit_change(before, contract.id, "insured", "090-2222-3333")
    change_id = change_id_of(response.headers["Location"])
    await apply_for(before, change_id)
    number = (await change_status(before, change_id))["auth_number"]
    assert await place_call(before, "09022223333", number) == "verified"
    registered = await store_of(before.app).holder(holder.id)
    assert registered is not None and registered.phone_e164 == "+819022223333"
    clock.advance(17 * 86400)  # the date comes: now this number logs in
    before.session.cookie_jar.clear()  # a new browser
    assert await login(before, "yamada", PASSWORD) == (302, "/verify")


async def test_from_the_date_no_number_gets_the_call_centre(enforced: Client) -> None:
    await seed_holder(store_of(enforced.app), "yamada", PASSWORD, None)
    status, html = await login(enforced, "yamada", PASSWORD)
    assert status == 200
    assert "電話番号のご登録が必要です" in html and "0120-000-000" in html
    assert 'href="/login"' in html and BANNER not in html
    assert (await enforced.get("/mypage", allow_redirects=False)).status == 302


async def test_from_the_date_an_unusable_number_is_told_its_kind(enforced: Client) -> None:
    await seed_holder(store_of(enforced.app), "yamada", PASSWORD, "+815012345678")
    status, html = await login(enforced, "yamada", PASSWORD)
    assert status == 200
    assert "末尾 5678" in html and "050から始まるIP電話" in html
    assert "コールセンター" in html


async def test_from_the_date_the_banner_is_gone(enforced: Client) -> None:
    assert BANNER not in await (await enforced.get("/login")).text()
