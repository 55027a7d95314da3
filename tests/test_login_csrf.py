"""The anonymous login form's CSRF protection without a session row (web/login_csrf.py)."""

from __future__ import annotations

import asyncio
import pathlib
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from callauth.ivr.config import Config, ConfigError
from callauth.site import create_site, store_of
from callauth.web.login_csrf import COOKIE_NAME
from tests.conftest import FakeClock
from tests.web_support import csrf_of, login, seed_holder

Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[Client]]


def session_rows(db: pathlib.Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM web_sessions").fetchone()[0])


async def app_client(
    aiohttp_client: MakeClient, db: pathlib.Path, clock: FakeClock, **settings: Any
) -> Client:
    client = await aiohttp_client(
        create_site(Config.from_keys(db=str(db), **settings), clock=clock)
    )
    if await store_of(client.app).holder_by_login("yamada") is None:
        await seed_holder(store_of(client.app), "yamada", "correct horse")
    return client


async def post(client: Client, token: str | None, cookie: str | None = None) -> int:
    data = {"login_id": "yamada", "password": "correct horse"}
    if token is not None:
        data["csrf_token"] = token
    headers = {"Cookie": f"{COOKIE_NAME}={cookie}"} if cookie is not None else None
    async with client.post("/login", data=data, headers=headers, allow_redirects=False) as r:
        return r.status


async def test_anonymous_visits_to_the_login_page_write_no_session_row(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient
) -> None:
    db = tmp_path / "callauth.db"
    client = await app_client(aiohttp_client, db, clock)

    # 3,000 visitors, each new (no cookie kept), 100 at a time.
    async with aiohttp.ClientSession(
        base_url=client.make_url("/"), cookie_jar=aiohttp.DummyCookieJar()
    ) as visitors:

        async def visit() -> None:
            async with visitors.get("/login") as page:
                assert page.status == 200 and csrf_of(await page.text())

        for _ in range(30):
            await asyncio.gather(*(visit() for _ in range(100)))
    assert session_rows(db) == 0
    assert await login(client, "yamada", "correct horse") == (302, "/verify")
    assert session_rows(db) == 1  # the password step is where a session begins


async def test_an_expired_form_is_refused(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient
) -> None:
    client = await app_client(aiohttp_client, tmp_path / "a.db", clock, session_max_age=600)
    token = csrf_of(await (await client.get("/login")).text())
    clock.advance(601)
    assert await post(client, token) == 403
    token = csrf_of(await (await client.get("/login")).text())  # a fresh page works
    assert await post(client, token) == 302


async def test_a_token_is_worthless_without_the_cookie_it_was_signed_for(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient
) -> None:
    client = await app_client(aiohttp_client, tmp_path / "a.db", clock)
    attackers = csrf_of(await (await client.get("/login")).text())
    client.session.cookie_jar.clear()
    victims_page = await client.get("/login")  # the victim's browser has its own nonce
    victims_nonce = victims_page.cookies[COOKIE_NAME].value
    client.session.cookie_jar.clear()
    assert await post(client, attackers, cookie=victims_nonce) == 403
    assert await post(client, attackers, cookie=None) == 403  # no cookie at all
    assert await post(client, csrf_of(await victims_page.text()), cookie=victims_nonce) == 302


async def test_processes_on_one_database_accept_each_others_forms(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient
) -> None:
    db = tmp_path / "shared.db"
    first = await app_client(aiohttp_client, db, clock)
    second = await app_client(aiohttp_client, db, clock)
    page = await first.get("/login")
    token, nonce = csrf_of(await page.text()), page.cookies[COOKIE_NAME].value
    assert await post(second, token, cookie=nonce) == 302
    elsewhere = await app_client(aiohttp_client, tmp_path / "other.db", clock)
    assert await post(elsewhere, token, cookie=nonce) == 403  # another store, another key


async def test_a_configured_secret_key_signs_the_form(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: MakeClient
) -> None:
    key = "k" * 40
    first = await app_client(aiohttp_client, tmp_path / "a.db", clock, secret_key=key)
    second = await app_client(aiohttp_client, tmp_path / "b.db", clock, secret_key=key)
    page = await first.get("/login")
    token, nonce = csrf_of(await page.text()), page.cookies[COOKIE_NAME].value
    assert await post(second, token, cookie=nonce) == 302


def test_a_short_secret_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="secret_key"):
        Config.from_keys(secret_key="short")
