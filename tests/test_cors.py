"""CORS on the JSON API: the insurer's form on a configured origin may call it from the
browser; a preflight from any other origin is refused; cookies play no part."""

from __future__ import annotations

import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callauth.ivr.config import Config, ConfigError, load
from callauth.site import create_site
from callauth.web.app import CSP
from tests.conftest import FakeClock

Client = TestClient[Any, Any]
INSURER = "https://apply.insurer.example"
STRANGER = "https://phish.example"
PATH = "/api/phone/validate"


def preflight_headers(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type",
    }


@pytest.fixture
async def client(
    tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Client:
    config = Config.from_keys(db=str(tmp_path / "callauth.db"), api_allowed_origins=(INSURER,))
    return await aiohttp_client(create_site(config))


async def test_a_preflight_from_a_configured_origin_is_granted(client: Client) -> None:
    response = await client.options(PATH, headers=preflight_headers(INSURER))
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == INSURER
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response.headers  # no cookies needed
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "origin", [STRANGER, "null", INSURER + ".evil.example", "http://apply.insurer.example"]
)
async def test_a_preflight_from_an_origin_not_configured_is_refused(
    client: Client, origin: str
) -> None:
    response = await client.options(PATH, headers=preflight_headers(origin))
    assert response.status == 403
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    assert "message" in await response.json()


async def test_a_preflight_for_another_method_is_refused(client: Client) -> None:
    response = await client.options(PATH, headers=preflight_headers(INSURER, "DELETE"))
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_without_configured_origins_every_preflight_is_refused(
    tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    client = await aiohttp_client(create_site(Config(db=str(tmp_path / "callauth.db"))))
    response = await client.options(PATH, headers=preflight_headers(INSURER))
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_the_answer_to_a_configured_origin_carries_the_grant(client: Client) -> None:
    response = await client.post(
        PATH, json={"number": "050-1234-5678"}, headers={"Origin": INSURER}
    )
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == INSURER
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    body = await response.json()
    assert (body["registrable"], body["kind"]) == (False, "voip")


async def test_the_answer_to_another_origin_has_no_grant(client: Client) -> None:
    response = await client.post(PATH, json={"number": "09012345678"}, headers={"Origin": STRANGER})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]  # a cache must not hand it to INSURER


async def test_same_origin_and_server_calls_need_no_cors(client: Client) -> None:
    response = await client.post(PATH, json={"number": "09012345678"})
    assert response.status == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Vary"] == "Origin"


async def test_cross_origin_calls_keep_the_per_address_rate_limit(
    tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    config = Config.from_keys(
        db=str(tmp_path / "callauth.db"), api_rate_limit=2, api_allowed_origins=(INSURER,)
    )
    client = await aiohttp_client(create_site(config, clock=FakeClock()))
    for _ in range(2):
        ok = await client.post(PATH, json={"number": "09012345678"}, headers={"Origin": INSURER})
        assert ok.status == 200
    refused = await client.post(PATH, json={"number": "09012345678"}, headers={"Origin": INSURER})
    assert refused.status == 429
    # Readable by the insurer's page, so the field can say why and when.
    assert refused.headers["Access-Control-Allow-Origin"] == INSURER
    assert "Retry-After" in refused.headers["Access-Control-Expose-Headers"]


async def test_pages_keep_no_cors_and_the_strict_csp(client: Client) -> None:
    response = await client.get("/login", headers={"Origin": INSURER})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Content-Security-Policy"] == CSP
    preflight = await client.options("/login", headers=preflight_headers(INSURER))
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_origins_are_configured_as_browsers_send_them() -> None:
    config = load(
        environ={
            "CALLAUTH_API_ALLOWED_ORIGINS": "https://Apply.Example.jp:443, http://127.0.0.1:8000"
        }
    )
    assert config.web.api_allowed_origins == ("https://apply.example.jp", "http://127.0.0.1:8000")


@pytest.mark.parametrize(
    "origin",
    ["*", "https://apply.example.jp/", "https://apply.example.jp/form", "apply.example.jp", "null"],
)
def test_an_origin_that_is_not_one_is_a_config_error(origin: str) -> None:
    with pytest.raises(ConfigError, match="api_allowed_origins"):
        Config.from_keys(api_allowed_origins=(origin,))
