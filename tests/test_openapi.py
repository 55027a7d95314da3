"""GET /api/openapi.json: a valid OpenAPI 3.1 description of the API as it answers."""

from __future__ import annotations

import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from callauth.ivr.config import Config
from callauth.site import create_site

Client = TestClient[Any, Any]


async def fetch_spec(client: Client) -> dict[str, Any]:
    response = await client.get("/api/openapi.json")
    assert response.status == 200
    assert response.content_type == "application/json"
    spec: dict[str, Any] = await response.json()
    return spec


async def test_the_description_is_valid_openapi_3_1(
    tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    client = await aiohttp_client(create_site(Config(db=str(tmp_path / "callauth.db"))))
    spec = await fetch_spec(client)
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises on any violation of the OpenAPI 3.1 schema


async def test_real_answers_match_the_described_schemas(
    tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    client = await aiohttp_client(create_site(Config(db=str(tmp_path / "callauth.db"))))
    spec = await fetch_spec(client)
    schemas = spec["components"]["schemas"]
    for number in ("090-1234-5678", "050-1234-5678", "+1 202 555 0123", "abc", "9" * 65):
        answer = await (await client.post("/api/phone/validate", json={"number": number})).json()
        Draft202012Validator(schemas["Answer"]).validate(answer)
    bad = await client.post("/api/phone/validate", data=b"{not json")
    Draft202012Validator(schemas["Error"]).validate(await bad.json())
