"""The waiting page, its status JSON and SSE feed, and the step into My Page.

Calls come through the real service path (VerificationService.handle_call with an Asterisk
header block), never by writing challenge states behind the service's back.
"""

from __future__ import annotations

import asyncio
import json
import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callauth.db.models import ChallengeState
from callauth.ivr import phone_policy
from callauth.ivr.config import Config
from callauth.site import create_site, store_of
from callauth.web.sessions import CHALLENGE
from callauth.web.views_ops import metrics_text
from tests.conftest import FakeClock
from tests.web_support import call_through_service, csrf_of, login, seed_holder, session_key

Client = TestClient[Any, Any]


@pytest.fixture
async def client(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Client:
    config = Config.from_keys(db=str(tmp_path / "callauth.db"), challenge_ttl=120)
    client = await aiohttp_client(create_site(config, clock=clock))
    await seed_holder(store_of(client.app), "yamada", "correct horse", "+819012345678")
    assert await login(client, "yamada", "correct horse") == (302, "/verify")
    return client


async def status_of(client: Client) -> dict[str, Any]:
    response = await client.get("/verify/status")
    assert response.status == 200
    return dict(await response.json())


async def call(client: Client, auth_number: str, presentation: str = "allowed") -> str:
    """The registered phone calls ``auth_number`` (as Asterisk would hand it over)."""
    return await call_through_service(client, "09012345678", auth_number, presentation)


async def test_verify_page_shows_the_number_the_phone_and_guidance(client: Client) -> None:
    status = await status_of(client)
    html = await (await client.get("/verify")).text()
    number = status["auth_number"]
    assert f'href="tel:{number}"' in html
    assert phone_policy.display(phone_policy.normalize(number) or "") in html  # 0120-111-222
    assert "末尾 5678 の電話番号から" in html
    assert "186" in html and "電話番号通知設定" in html
    assert "通話料はかかりません" in html  # reject mode
    assert 'action="/verify/reissue"' in html and csrf_of(html)
    assert "/static/verify.js" in html


async def test_status_json_has_state_number_and_time_left(client: Client) -> None:
    status = await status_of(client)
    assert status["state"] == "pending"
    assert status["auth_number"].startswith("0120") and status["auth_number"].isdigit()
    assert status["expires_in"] == 120
    assert status["hint"] is None


async def test_mypage_before_verification_redirects_to_login(client: Client) -> None:
    response = await client.get("/mypage", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (302, "/login")


async def test_verified_call_lets_the_browser_into_mypage_once(client: Client) -> None:
    store = store_of(client.app)
    auth_number = (await status_of(client))["auth_number"]
    assert await call(client, auth_number) == "verified"
    assert (await status_of(client))["state"] == "verified"
    before = session_key(client)
    response = await client.get("/mypage")
    html = await response.text()
    assert response.status == 200
    assert "ご契約一覧" in html and "お客様情報" in html
    assert "家財保険（賃貸住宅用）" in html and "***-****-5678" in html
    assert "09012345678" not in html and "090-1234-5678" not in html
    after = session_key(client)
    assert before and after and before != after
    assert await store.load_session(before) is None
    session = json.loads(await store.load_session(after) or "{}")["session"]
    challenge = await store.challenge(session.get(CHALLENGE) or 1)
    assert challenge is not None and challenge.state is ChallengeState.CONSUMED
    assert (await store.audit_entries())[0].event == "verification"
    assert (await client.get("/mypage")).status == 200  # stays in on later visits


async def test_call_to_another_number_does_not_verify(client: Client) -> None:
    auth_number = (await status_of(client))["auth_number"]
    other = next(n for n in Config().telephony.auth_numbers if n != auth_number)
    assert await call(client, other) == "not_matched"
    assert (await status_of(client))["state"] == "pending"


async def test_sse_delivers_verified_to_a_waiting_stream(client: Client) -> None:
    auth_number = (await status_of(client))["auth_number"]
    async with client.get("/verify/events") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        first = await next_message(stream)
        assert first["state"] == "pending"
        assert await call(client, auth_number) == "verified"
        assert (await next_message(stream))["state"] == "verified"
        assert (await asyncio.wait_for(stream.content.read(), 5)).strip() == b""  # ended


async def test_event_stream_lets_go_when_the_browser_leaves(client: Client) -> None:
    store = store_of(client.app)
    idle = store.events.listeners
    stream = await client.get("/verify/events")
    assert (await next_message(stream))["state"] == "pending"
    assert store.events.listeners == idle + 1
    stream.close()
    for _ in range(200):
        if store.events.listeners == idle:
            break
        await asyncio.sleep(0.01)
    assert store.events.listeners == idle
    metrics = (await metrics_text(client.app)).decode()  # /metrics is on the admin listener
    assert "callauth_sse_clients 0.0" in metrics


async def test_event_stream_without_a_login_says_no_content(client: Client) -> None:
    await client.post(
        "/logout", data={"csrf_token": csrf_of(await (await client.get("/verify")).text())}
    )
    assert (await client.get("/verify/events")).status == 204


async def test_verify_page_after_the_call_goes_straight_on(client: Client) -> None:
    assert await call(client, (await status_of(client))["auth_number"]) == "verified"
    response = await client.get("/verify", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (302, "/mypage")


async def test_withheld_call_leaves_a_186_hint(client: Client) -> None:
    auth_number = (await status_of(client))["auth_number"]
    async with client.get("/verify/events") as stream:
        await next_message(stream)
        assert await call(client, auth_number, presentation="prohib") == "withheld"
        message = await next_message(stream)
    assert message["state"] == "pending" and "186" in message["hint"]
    status = await settle(client)  # the polling page hears it too
    assert status["hint_kind"] == "withheld_call" and "186" in status["hint"]
    assert "186" in await (await client.get("/verify")).text()


async def test_expiry_shows_and_a_new_number_can_be_issued(
    client: Client, clock: FakeClock
) -> None:
    clock.advance(121)
    status = await status_of(client)
    assert status == {**status, "state": "expired", "expires_in": 0}
    assert await call(client, status["auth_number"]) == "expired"
    html = await (await client.get("/verify")).text()
    assert "有効時間" in html
    response = await client.post(
        "/verify/reissue", data={"csrf_token": csrf_of(html)}, allow_redirects=False
    )
    assert (response.status, response.headers["Location"]) == (302, "/verify")
    fresh = await status_of(client)
    assert fresh["state"] == "pending" and fresh["expires_in"] == 120


async def test_sse_hears_expiry_from_the_background_task(client: Client, clock: FakeClock) -> None:
    async with client.get("/verify/events") as stream:
        assert (await next_message(stream))["state"] == "pending"
        clock.advance(121)
        assert (await next_message(stream))["state"] == "expired"


async def test_reissue_needs_csrf(client: Client) -> None:
    response = await client.post("/verify/reissue", data={}, allow_redirects=False)
    assert response.status == 403


async def next_message(stream: Any, wait: float = 5.0) -> dict[str, Any]:
    """The next ``data:`` message of an SSE stream, skipping comments and retry lines."""

    async def read() -> dict[str, Any]:
        while True:
            line = (await stream.content.readline()).decode()
            assert line, "stream ended"
            if line.startswith("data: "):
                return dict(json.loads(line[len("data: ") :]))

    return await asyncio.wait_for(read(), wait)


async def settle(client: Client) -> dict[str, Any]:
    """The status once the hint has been recorded (its listener runs as its own task)."""
    for _ in range(100):
        status = await status_of(client)
        if status["hint"]:
            return status
        await asyncio.sleep(0.01)
    raise AssertionError("no hint in /verify/status")
