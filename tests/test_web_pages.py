"""What every page needs beside its content: the favicon, UTF-8 JSON (issue 10)."""

from __future__ import annotations

import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callauth.ivr.config import Config
from callauth.site import create_site, store_of
from tests.conftest import FakeClock
from tests.web_support import seed_holder

Client = TestClient[Any, Any]


@pytest.fixture
async def client(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Client:
    client = await aiohttp_client(create_site(Config(db=str(tmp_path / "c.db")), clock=clock))
    await seed_holder(store_of(client.app), "yamada", "correct horse", "+819012345678")
    return client


async def test_favicon_ico_is_an_icon_not_a_404(client: Client) -> None:
    response = await client.get("/favicon.ico")
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/x-icon"
    assert (await response.read())[:4] == b"\x00\x00\x01\x00"  # the ICO signature


async def test_every_page_names_its_icon(client: Client) -> None:
    html = await (await client.get("/login")).text()
    assert 'rel="icon" href="/favicon.ico"' in html
    svg = await client.get("/static/favicon.svg")
    assert svg.status == 200 and "svg" in svg.headers["Content-Type"]


async def test_status_json_carries_japanese_as_utf8_characters(client: Client) -> None:
    response = await client.get("/verify/status")  # not logged in: a message for the person
    assert (response.status, response.charset) == (401, "utf-8")
    text = await response.text()
    assert "ログイン" in text and "\\u" not in text
