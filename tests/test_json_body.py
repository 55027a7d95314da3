"""Bodies that would break the JSON parser get a 400 JSON answer, never an HTML 500.

Over a real aiohttp server: ``/api/phone/validate`` is the endpoint that takes JSON.
"""

from __future__ import annotations

import logging
import pathlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callauth.ivr.config import Config
from callauth.site import create_site
from callauth.web.json_body import MAX_DEPTH, too_deep

Client = TestClient[Any, Any]
URL = "/api/phone/validate"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def client(
    tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Client:
    return await aiohttp_client(create_site(Config(db=str(tmp_path / "callauth.db"))))


async def refused(client: Client, body: Any, **kwargs: Any) -> dict[str, Any]:
    response = await client.post(URL, data=body, headers=JSON, **kwargs)
    assert response.status == 400
    assert response.content_type == "application/json"
    answer: dict[str, Any] = await response.json()
    assert answer["error"] == "bad_request" and answer["message"] and answer["message_en"]
    return answer


@pytest.mark.parametrize("opening", ["[", '{"a":'])
async def test_5000_deep_json_is_a_400_json_answer_without_a_traceback(
    client: Client, opening: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = opening * 5000 + "1" + ("]" if opening == "[" else "}") * 5000
    await refused(client, body)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    # The refusal is logged (an input validation failure), in one line without the body.
    lines = [r.getMessage() for r in caplog.records if r.name == "callauth.web.views_api"]
    assert len(lines) == 1 and "bad body" in lines[0] and opening not in lines[0]


async def test_nesting_within_the_size_limit_is_refused_for_its_depth(client: Client) -> None:
    body = "[" * 2000 + "]" * 2000  # 4,000 bytes: enough for RecursionError in json.loads
    answer = await refused(client, body)
    assert "入れ子が深すぎます" in answer["message"]


async def test_a_huge_body_is_refused_before_it_is_read(client: Client) -> None:
    answer = await refused(client, b'{"number": "' + b"9" * 1_000_000 + b'"}')
    assert "大きすぎます" in answer["message"]


async def test_a_huge_chunked_body_without_a_length_is_refused(client: Client) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    answer = await refused(client, chunks())
    assert "大きすぎます" in answer["message"]
    # The server is still there for the next request.
    ok = await client.post(URL, json={"number": "09012345678"})
    assert ok.status == 200


async def test_brackets_inside_strings_do_not_count_and_a_normal_body_passes(
    client: Client,
) -> None:
    response = await client.post(URL, data='{"number": "[[[[[[[[[[[[09012345678"}', headers=JSON)
    assert response.status == 200  # the number is invalid, the body is fine
    assert (await response.json())["kind"] == "invalid"


@pytest.mark.parametrize(
    ("data", "deep"),
    [
        (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, False),
        (b"[" * (MAX_DEPTH + 1), True),
        (b'["' + b"[" * 100 + b'"]', False),
        (b'["\\"' + b"[" * 100 + b'"]', False),  # an escaped quote does not end the string
        (b'{"a": "\\\\"}' + b"[" * (MAX_DEPTH + 1), True),  # an escaped backslash does
    ],
)
def test_depth_scan(data: bytes, deep: bool) -> None:
    assert too_deep(data) is deep
