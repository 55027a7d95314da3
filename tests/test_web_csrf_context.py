"""The CSRF context processor: every holder page's forms carry the session's token, and a
request that renders no form neither loads nor starts a session."""

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
    tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Client:
    app = create_site(Config(db=str(tmp_path / "callauth.db")), clock=FakeClock())
    client = await aiohttp_client(app)
    await seed_holder(store_of(client.app), "yamada", "correct horse")
    return client


@pytest.mark.parametrize("path", ["/", "/verify", "/mypage", "/healthz", "/static/style.css"])
async def test_a_request_that_renders_no_form_starts_no_session(client: Client, path: str) -> None:
    response = await client.get(path, allow_redirects=False)
    assert response.status in (200, 302)
    assert COOKIE_NAME not in response.cookies
    assert session_key(client) is None


async def test_the_waiting_page_carries_the_session_token_its_forms_are_accepted_with(
    client: Client,
) -> None:
    assert await login(client, "yamada", "correct horse") == (302, "/verify")
    page = await client.get("/verify")
    token = csrf_of(await page.text())
    assert page.headers["Cache-Control"] == "no-store"
    again = csrf_of(await (await client.get("/verify")).text())
    assert again == token  # one token per session, not one per page
    refused = await client.post("/logout", data={"csrf_token": token + "x"})
    assert refused.status == 403
    response = await client.post("/logout", data={"csrf_token": token}, allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (302, "/login?logged_out=1")
