"""POST /api/phone/validate: the phone policy as JSON, for the applicant form and My Page."""

from __future__ import annotations

import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callauth.ivr.config import Config
from callauth.site import create_site
from tests.conftest import FakeClock

Client = TestClient[Any, Any]


@pytest.fixture
async def client(
    tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Client:
    return await aiohttp_client(create_site(Config(db=str(tmp_path / "callauth.db"))))


@pytest.mark.parametrize(
    ("number", "registrable", "e164", "kind"),
    [
        ("090-1234-5678", True, "+819012345678", "mobile"),
        ("０３－１２３４－５６７８", True, "+81312345678", "fixed_line"),
        ("050-1234-5678", False, "+815012345678", "voip"),
        ("0120-111-222", False, "+81120111222", "toll_free"),
        ("0570-000-123", False, "+81570000123", "shared_cost"),
        ("+1 202 555 0123", False, "+12025550123", "foreign"),
        ("12345", False, None, "invalid"),
    ],
)
async def test_validate_answers_with_the_policy(
    client: Client, number: str, registrable: bool, e164: str | None, kind: str
) -> None:
    response = await client.post("/api/phone/validate", json={"number": number})
    assert response.status == 200
    body = await response.json()
    assert body["registrable"] is registrable
    assert body["e164"] == e164
    assert body["kind"] == kind
    assert body["message"]  # Japanese, for the person


async def test_validate_needs_no_session_or_csrf(client: Client) -> None:
    response = await client.post("/api/phone/validate", json={"number": "09012345678"})
    assert response.status == 200
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"\xff\xfe",
        b'"09012345678"',
        b"[]",
        b"{}",
        b'{"number": null}',
    ],
)
async def test_bad_requests_get_400_with_a_message(client: Client, body: bytes) -> None:
    response = await client.post(
        "/api/phone/validate", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    answer = await response.json()
    assert answer["error"] == "bad_request"
    assert answer["message"] and answer["message_en"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"number": "999999999999999999999999999999"}',
        b'{"number": 999999999999999999999999999999}',
        b'{"number": 111111111111111111111111111111}',
        b'{"number": "' + b"9" * 65 + b'"}',
        b'{"number": "' + "０".encode() * 400 + b'"}',
    ],
)
async def test_too_long_or_numeric_input_is_answered_invalid_not_400(
    client: Client, body: bytes
) -> None:
    response = await client.post(
        "/api/phone/validate", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 200
    answer = await response.json()
    assert (answer["registrable"], answer["kind"], answer["e164"]) == (False, "invalid", None)
    assert "電話番号" in answer["message"]


async def test_digits_sent_as_a_json_number_are_answered(client: Client) -> None:
    response = await client.post("/api/phone/validate", json={"number": 9012345678})
    assert response.status == 200
    assert (await response.json())["e164"] == "+819012345678"


async def test_json_answers_are_utf8_not_escaped(client: Client) -> None:
    response = await client.post("/api/phone/validate", json={"number": "090-1234-5678"})
    text = await response.text()
    assert "携帯電話" in text and "\\u" not in text
    assert response.charset == "utf-8"


async def test_absurdly_long_input_is_refused(client: Client) -> None:
    response = await client.post("/api/phone/validate", json={"number": "9" * 10_000})
    assert response.status == 400


async def test_one_address_is_rate_limited_then_served_again(
    tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    clock = FakeClock()
    config = Config.from_keys(db=str(tmp_path / "callauth.db"), api_rate_limit=3)
    client = await aiohttp_client(create_site(config, clock=clock))
    for _ in range(3):
        response = await client.post("/api/phone/validate", json={"number": "09012345678"})
        assert response.status == 200
    refused = await client.post("/api/phone/validate", json={"number": "09012345678"})
    assert refused.status == 429
    body = await refused.json()
    assert body["error"] == "rate_limited" and "秒" in body["message"]
    assert int(refused.headers["Retry-After"]) > 0
    clock.advance(int(refused.headers["Retry-After"]))
    again = await client.post("/api/phone/validate", json={"number": "09012345678"})
    assert again.status == 200 and (await again.json())["registrable"] is True
