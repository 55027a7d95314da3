"""Login: CSRF, identical failures, session rotation, throttling, holders without a phone."""

from __future__ import annotations

import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callauth.ivr.config import Config
from callauth.site import create_site, store_of
from callauth.web.sessions import COOKIE_NAME
from tests.conftest import FakeClock
from tests.web_support import csrf_of, login, seed_holder, session_key

Client = TestClient[Any, Any]


@pytest.fixture
async def client(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Client:
    config = Config.from_keys(db=str(tmp_path / "callauth.db"), login_limit=3, login_window=900)
    client = await aiohttp_client(create_site(config, clock=clock))
    await seed_holder(store_of(client.app), "yamada", "correct horse")
    return client


async def test_login_page_has_a_csrf_field_and_sets_a_safe_cookie(client: Client) -> None:
    response = await client.get("/login")
    assert response.status == 200
    html = await response.text()
    assert csrf_of(html)
    assert 'name="login_id"' in html and 'name="password"' in html
    (cookie,) = response.headers.getall("Set-Cookie")  # the form's CSRF cookie, no session
    assert cookie.startswith("callauth_login_csrf=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/login" in cookie


@pytest.mark.parametrize("token", [None, "", "forged"])
async def test_post_without_the_right_csrf_token_is_refused(
    client: Client, token: str | None
) -> None:
    await client.get("/login")
    data = {"login_id": "yamada", "password": "correct horse"}
    if token is not None:
        data["csrf_token"] = token
    response = await client.post("/login", data=data, allow_redirects=False)
    assert response.status == 403
    assert "もう一度操作してください" in await response.text()


async def test_wrong_password_and_unknown_login_id_look_the_same(client: Client) -> None:
    wrong = await login(client, "yamada", "wrong password")
    unknown = await login(client, "nobody", "wrong password")
    assert wrong[0] == unknown[0] == 200
    # The form echoes the login ID typed; everything else must be identical.
    assert wrong[1].replace("yamada", "X") == unknown[1].replace("nobody", "X")
    assert "ログインIDまたはパスワードが正しくありません" in wrong[1]


async def test_success_rotates_the_session_and_redirects_to_verify(client: Client) -> None:
    # A session key fixed before the login (planted by someone else, or an earlier visit).
    before = "F" * 43
    await store_of(client.app).save_session(before, '{"session": {}}', 600)
    client.session.cookie_jar.update_cookies({COOKIE_NAME: before}, client.make_url("/"))
    status, location = await login(client, "yamada", "correct horse")
    assert (status, location) == (302, "/verify")
    after = session_key(client)
    assert before and after and before != after
    store = store_of(client.app)
    assert await store.load_session(before) is None  # the old row is really gone
    assert await store.load_session(after) is not None
    events = [entry.event for entry in await store.audit_entries()]
    assert events[0] == "login_success"


async def test_repeated_failures_lock_the_login_id_with_growing_back_off(
    client: Client, clock: FakeClock
) -> None:
    assert (await login(client, "yamada", "bad 1"))[0] == 200
    assert (await login(client, "yamada", "bad 2"))[0] == 200
    third = await client.post(
        "/login",
        allow_redirects=False,
        data={
            "login_id": "yamada",
            "password": "bad 3",
            "csrf_token": csrf_of(await (await client.get("/login")).text()),
        },
    )
    assert third.status == 429
    assert third.headers["Retry-After"] == "30"
    assert "しばらくしてからお試しください" in await third.text()
    # Locked: even the right password is refused until the wait is over.
    assert (await login(client, "yamada", "correct horse"))[0] == 429
    clock.advance(31)
    assert (await login(client, "yamada", "bad 4"))[0] == 429  # locked again, longer
    clock.advance(31)
    assert (await login(client, "yamada", "correct horse"))[0] == 429
    clock.advance(30)
    assert await login(client, "yamada", "correct horse") == (302, "/verify")


async def test_other_login_ids_are_not_locked_by_someone_elses_failures(client: Client) -> None:
    await seed_holder(store_of(client.app), "suzuki", "another secret", "+819087654321")
    for attempt in range(3):
        await login(client, "yamada", f"bad {attempt}")
    assert await login(client, "suzuki", "another secret") == (302, "/verify")


async def test_holder_without_a_phone_is_asked_to_register_one(client: Client) -> None:
    await seed_holder(store_of(client.app), "nophone", "secret pass", None)
    status, body = await login(client, "nophone", "secret pass")
    assert status == 200
    assert "電話番号のご登録が必要です" in body
    assert "コールセンター" in body
    assert (await client.get("/verify", allow_redirects=False)).headers["Location"] == "/login"


async def test_holder_with_an_unusable_phone_is_asked_to_register_one(client: Client) -> None:
    await seed_holder(store_of(client.app), "ipphone", "secret pass", "+815012345678")
    status, body = await login(client, "ipphone", "secret pass")
    assert status == 200 and "電話番号のご登録が必要です" in body


async def test_empty_fields_get_a_clear_message(client: Client) -> None:
    status, body = await login(client, "", "")
    assert status == 200 and "ログインIDとパスワードを入力してください" in body


async def test_one_address_guessing_many_login_ids_is_throttled(client: Client) -> None:
    # login_limit 3 per ID; an address may fail 4x as often before it waits.
    statuses = [(await login(client, f"guess{n}", "pw"))[0] for n in range(12)]
    assert statuses == [200] * 11 + [429]
    assert (await login(client, "yamada", "correct horse"))[0] == 429


async def test_secure_cookie_when_configured(
    tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    config = Config.from_keys(
        db=str(tmp_path / "secure.db"), cookie_secure=True, session_max_age=600
    )
    client = await aiohttp_client(create_site(config))
    await seed_holder(store_of(client.app), "yamada", "correct horse")
    page = await client.get("/login")
    form_cookie = page.headers["Set-Cookie"]
    assert "Secure" in form_cookie and "Max-Age=600" in form_cookie
    # The client keeps Secure cookies off plain HTTP, as browsers do: send it by hand.
    nonce = page.cookies["callauth_login_csrf"].value
    response = await client.post(
        "/login",
        data={
            "login_id": "yamada",
            "password": "correct horse",
            "csrf_token": csrf_of(await page.text()),
        },
        headers={"Cookie": f"callauth_login_csrf={nonce}"},
        allow_redirects=False,
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(COOKIE_NAME) and "Secure" in cookie and "Max-Age=600" in cookie
