"""Proof of the new number: only a call FROM it, in time, after the password, changes
anything; until then the old number stays in force and keeps logging in."""

from __future__ import annotations

import asyncio
import json
import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from callauth.db.models import ChallengeState, ChangeState
from callauth.ivr.config import Config
from callauth.ivr.number_pool import CodeMode
from callauth.site import create_site, store_of
from callauth.web.keys import SERVICES
from tests.conftest import FakeClock
from tests.phone_change_support import (
    Client,
    apply_for,
    change_id_of,
    change_status,
    place_call,
    seed_with_contracts,
    submit_change,
    verified_login,
)
from tests.web_support import csrf_of, login

OLD, NEW = "09012345678", "08098765432"


@pytest.fixture
async def app_client(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Callable[[], Awaitable[Client]]:
    config = Config.from_keys(db=str(tmp_path / "callauth.db"), challenge_ttl=120)
    app = create_site(config, clock=clock)
    first: list[Client] = []

    async def make() -> Client:
        """A browser; the first one creates the app, later ones share its server."""
        if not first:
            first.append(await aiohttp_client(app))
            return first[0]
        return await aiohttp_client(first[0].server)

    return make


@pytest.fixture
async def client(app_client: Callable[[], Awaitable[Client]]) -> Client:
    client = await app_client()
    await seed_with_contracts(client)
    await verified_login(client, "yamada", OLD)
    return client


async def awaiting_call(client: Client, number: str = NEW, party: str = "insured") -> int:
    """The change applied for (password given): its id, now waiting for the call."""
    contract = (await store_of(client.app).contracts_of(1))[0 if party == "insured" else 1]
    response = await submit_change(client, contract.id, party, number)
    change_id = change_id_of(response.headers["Location"])
    answer = await apply_for(client, change_id)
    assert answer.headers["Location"] == f"/mypage/changes/{change_id}/call"
    return change_id


async def registered_phone(client: Client) -> str | None:
    holder = await store_of(client.app).holder(1)
    assert holder is not None
    return holder.phone_e164


async def test_call_page_names_the_new_phone_and_the_number_to_call(client: Client) -> None:
    change_id = await awaiting_call(client)
    html = await (await client.get(f"/mypage/changes/{change_id}/call")).text()
    status = await change_status(client, change_id)
    assert status["state"] == "pending" and status["expires_in"] == 120
    assert f'href="tel:{status["auth_number"]}"' in html
    assert "新しい電話番号（末尾 5432）から" in html and "186" in html
    assert f'data-next-url="/mypage/changes/{change_id}/done"' in html
    assert "これまでの電話番号" in html and "/static/verify.js" in html
    assert await registered_phone(client) == "+819012345678"  # nothing changed yet


async def test_change_takes_effect_only_after_a_call_from_the_new_number(client: Client) -> None:
    change_id = await awaiting_call(client)
    number = (await change_status(client, change_id))["auth_number"]
    assert await place_call(client, OLD, number) == "not_matched"  # the old phone proves nothing
    assert await registered_phone(client) == "+819012345678"
    assert await place_call(client, "08011112222", number) == "not_matched"
    assert await place_call(client, NEW, number) == "verified"
    assert await registered_phone(client) == "+818098765432"
    same = (await store_of(client.app).contracts_of(1))[0]
    assert same.insured_phone_e164 == "+818098765432"  # kept on the insured's record too
    change = await client.app[SERVICES].calls.phone_changes.get(change_id)
    assert change is not None and change.state is ChangeState.COMPLETED
    assert (await change_status(client, change_id))["state"] == "verified"
    html = await (await client.get(f"/mypage/changes/{change_id}/done")).text()
    assert "電話番号の変更が完了しました" in html and "***-****-5432" in html


async def test_every_change_is_in_the_audit_log_masked(client: Client) -> None:
    change_id = await awaiting_call(client)
    number = (await change_status(client, change_id))["auth_number"]
    assert await place_call(client, NEW, number) == "verified"
    entries = {e.event: e for e in await store_of(client.app).audit_entries(1)}
    for event in ("phone_change_requested", "phone_change_completed"):
        entry = entries[event]
        assert f"request {change_id}" in entry.detail
        assert "old ***5678 new ***5432" in entry.detail
        assert "09012345678" not in entry.detail and "8098765432" not in entry.detail
        assert "session " in entry.detail and entry.ip == "127.0.0.1"
    session_ref = entries["phone_change_completed"].detail.rsplit("session ", 1)[1]
    cookie = next(iter(client.session.cookie_jar)).value
    assert session_ref and session_ref != cookie  # a reference, never the session key


async def test_old_number_keeps_logging_in_until_the_new_one_is_proven(
    client: Client, app_client: Callable[[], Awaitable[Client]]
) -> None:
    await awaiting_call(client)
    other_browser = await app_client()
    await verified_login(other_browser, "yamada", OLD)
    assert await registered_phone(client) == "+819012345678"


async def test_after_the_change_the_new_number_logs_in_and_the_old_does_not(
    client: Client, app_client: Callable[[], Awaitable[Client]]
) -> None:
    change_id = await awaiting_call(client)
    number = (await change_status(client, change_id))["auth_number"]
    assert await place_call(client, NEW, number) == "verified"
    browser = await app_client()
    await verified_login(browser, "yamada", NEW)
    late = await app_client()
    assert await login(late, "yamada", "correct horse") == (302, "/verify")
    auth = (await (await late.get("/verify/status")).json())["auth_number"]
    assert await place_call(late, OLD, auth) == "not_matched"


async def test_expiry_leaves_the_old_number_in_force(client: Client, clock: FakeClock) -> None:
    change_id = await awaiting_call(client)
    number = (await change_status(client, change_id))["auth_number"]
    clock.advance(121)
    assert await place_call(client, NEW, number) == "expired"
    await store_of(client.app).expire_due()
    await client.app[SERVICES].calls.settle_phone_changes()
    assert await registered_phone(client) == "+819012345678"
    change = await client.app[SERVICES].calls.phone_changes.get(change_id)
    assert change is not None and change.state is ChangeState.EXPIRED
    assert (await change_status(client, change_id))["state"] == "expired"
    html = await (await client.get(f"/mypage/changes/{change_id}/done")).text()
    assert "電話番号は変更されていません" in html and "***-****-5678" in html
    assert "phone_change_expired" in [e.event for e in await store_of(client.app).audit_entries(1)]


async def test_a_mistyped_but_valid_number_never_locks_the_holder_out(
    client: Client, clock: FakeClock, app_client: Callable[[], Awaitable[Client]]
) -> None:
    await awaiting_call(client, "08098765433")  # one digit off: nobody can call from it
    clock.advance(600)
    await store_of(client.app).expire_due()
    await client.app[SERVICES].calls.settle_phone_changes()
    browser = await app_client()
    await verified_login(browser, "yamada", OLD)


async def test_cancel_keeps_the_old_number(client: Client) -> None:
    change_id = await awaiting_call(client)
    number = (await change_status(client, change_id))["auth_number"]
    page = await (await client.get(f"/mypage/changes/{change_id}/call")).text()
    response = await client.post(
        f"/mypage/changes/{change_id}/cancel", data={"csrf_token": csrf_of(page)}
    )
    assert "変更手続きを中止しました" in await response.text()
    assert await place_call(client, NEW, number) == "not_matched"
    assert await registered_phone(client) == "+819012345678"
    assert (await change_status(client, change_id))["state"] == "cancelled"


async def test_a_new_application_replaces_the_one_waiting(client: Client) -> None:
    first = await awaiting_call(client)
    first_number = (await change_status(client, first))["auth_number"]
    second = await awaiting_call(client, "07011112222")
    assert (await change_status(client, first))["state"] == "cancelled"
    assert await place_call(client, NEW, first_number) == "not_matched"
    number = (await change_status(client, second))["auth_number"]
    assert await place_call(client, "07011112222", number) == "verified"
    assert await registered_phone(client) == "+817011112222"


async def test_holder_party_change_updates_only_same_person_records(client: Client) -> None:
    change_id = await awaiting_call(client, party="holder")
    number = (await change_status(client, change_id))["auth_number"]
    assert await place_call(client, NEW, number) == "verified"
    contracts = await store_of(client.app).contracts_of(1)
    assert [c.insured_phone_e164 for c in contracts] == ["+818098765432", None, None]


async def test_another_session_cannot_see_or_drive_the_change(
    client: Client, app_client: Callable[[], Awaitable[Client]]
) -> None:
    change_id = await awaiting_call(client)
    other = await app_client()
    await verified_login(other, "yamada", OLD)  # same holder, another browser
    for page in ("confirm", "call", "done"):
        assert (await other.get(f"/mypage/changes/{change_id}/{page}")).status == 404
    assert (await other.get(f"/mypage/changes/{change_id}/status")).status == 401


async def test_the_call_page_hears_the_call_live(client: Client) -> None:
    change_id = await awaiting_call(client)
    number = (await change_status(client, change_id))["auth_number"]
    async with client.get(f"/mypage/changes/{change_id}/events") as stream:
        assert (await _next_message(stream))["state"] == "pending"
        assert await place_call(client, NEW, number, presentation="prohib") == "withheld"
        withheld = await _next_message(stream)
        assert withheld["hint_kind"] == "withheld_call" and "186" in withheld["hint"]
        assert await place_call(client, NEW, number) == "verified"
        assert (await _next_message(stream))["state"] == "verified"


async def test_a_pending_login_on_the_old_number_ends_with_the_change(
    client: Client, app_client: Callable[[], Awaitable[Client]]
) -> None:
    change_id = await awaiting_call(client)
    number = (await change_status(client, change_id))["auth_number"]
    browser = await app_client()
    await login(browser, "yamada", "correct horse")
    login_number = (await (await browser.get("/verify/status")).json())["auth_number"]
    assert await place_call(client, NEW, number) == "verified"
    assert (await (await browser.get("/verify/status")).json())["state"] == "cancelled"
    assert await place_call(browser, OLD, login_number) == "not_matched"
    change = await client.app[SERVICES].calls.phone_changes.get(change_id)
    assert change is not None and change.challenge_id is not None
    challenge = await store_of(client.app).challenge(change.challenge_id)
    assert challenge is not None and challenge.state is ChallengeState.CONSUMED


async def _next_message(stream: Any) -> dict[str, Any]:
    while True:
        line = await asyncio.wait_for(stream.content.readline(), 5)
        assert line, "stream ended"
        if line.startswith(b"data: "):
            return dict(json.loads(line[6:]))


async def test_a_change_whose_page_shows_a_code_completes_only_with_that_code(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    config = Config.from_keys(db=str(tmp_path / "callauth.db"), code_mode=CodeMode.ALWAYS)
    client = await aiohttp_client(create_site(config, clock=clock))
    await seed_with_contracts(client)
    await verified_login(client, "yamada", OLD)
    change_id = await awaiting_call(client)
    status = await change_status(client, change_id)
    assert status["code"] and len(status["code"]) == 4
    html = await (await client.get(f"/mypage/changes/{change_id}/call")).text()
    assert f'id="code">{status["code"]}<' in html
    wrong = "0000" if status["code"] != "0000" else "1111"
    assert await place_call(client, NEW, status["auth_number"], code=wrong) == "not_matched"
    assert await registered_phone(client) == "+819012345678"
    assert await place_call(client, NEW, status["auth_number"], code=status["code"]) == "verified"
    assert await registered_phone(client) == "+818098765432"
