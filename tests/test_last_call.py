"""The waiting page tells the last call that can be tied to its login, and nothing else
(issue 10): each tied call replaces the message before it, a call that cannot be tied (a
stranger's, another holder's) changes nothing, and no wording says "verified" before a
verified call. Calls go through the real service (VerificationService.handle_call)."""

from __future__ import annotations

import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callauth.db.models import NewContract
from callauth.ivr.config import Config
from callauth.site import create_site, store_of
from tests.conftest import FakeClock
from tests.phone_change_support import (
    apply_for,
    change_id_of,
    change_status,
    submit_change,
    verified_login,
)
from tests.web_support import call_through_service, login, seed_holder

Client = TestClient[Any, Any]
PHONE, OTHER_HOLDER, STRANGER = "09012345678", "09011112222", "08055556666"
MY_OTHER_NUMBER = "09099998888"  # the holder's own, on a contract where they are the insured


def make_client(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Callable[..., Awaitable[Client]]:
    async def make(**settings: Any) -> Client:
        config = Config.from_keys(db=str(tmp_path / "callauth.db"), **settings)
        client = await aiohttp_client(create_site(config, clock=clock))
        store = store_of(client.app)
        holder = await seed_holder(store, "yamada", "correct horse", "+819012345678")
        await store.add_contract(
            holder.id,
            NewContract("MS-OTHER", "個人賠償責任保険", "2026-01-01", "2027-01-01", "山田 太郎",
                        insured_same_as_holder=True, insured_phone_e164="+819099998888"),
        )  # fmt: skip
        await seed_holder(store, "kato", "kato horse", "+819011112222")
        return client

    return make


@pytest.fixture
def new_client(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Callable[..., Awaitable[Client]]:
    return make_client(tmp_path, clock, aiohttp_client)


@pytest.fixture
async def client(new_client: Callable[..., Awaitable[Client]]) -> Client:
    client = await new_client()
    assert await login(client, "yamada", "correct horse") == (302, "/verify")
    return client


async def status_of(client: Client) -> dict[str, Any]:
    return dict(await (await client.get("/verify/status")).json())


async def test_each_tied_call_replaces_the_last_message(client: Client) -> None:
    number = (await status_of(client))["auth_number"]
    assert await call_through_service(client, PHONE, number, "prohib") == "withheld"
    assert (await status_of(client))["hint_kind"] == "withheld_call"
    other = "0120111333" if number != "0120111333" else "0120111444"
    assert await call_through_service(client, PHONE, other) == "not_matched"
    status = await status_of(client)  # the README's hard-coded number: now the page says so
    assert status["hint_kind"] == "wrong_number" and "186" not in status["hint"]
    assert "別の番号" in status["hint"]
    assert await call_through_service(client, PHONE, number, "prohib") == "withheld"
    assert (await status_of(client))["hint_kind"] == "withheld_call"


@pytest.mark.parametrize("caller", [STRANGER, OTHER_HOLDER], ids=["stranger", "other holder"])
async def test_a_call_that_cannot_be_tied_changes_nothing(client: Client, caller: str) -> None:
    number = (await status_of(client))["auth_number"]
    assert await call_through_service(client, caller, number) == "not_matched"
    assert (await status_of(client))["hint"] is None  # nothing about another holder's caller
    assert await call_through_service(client, PHONE, number, "prohib") == "withheld"
    assert await call_through_service(client, caller, number, "prohib") == "withheld"
    assert await call_through_service(client, caller, number) == "not_matched"
    assert (await status_of(client))["hint_kind"] == "withheld_call"  # left as it was


async def test_a_call_from_the_holders_other_number_is_told(client: Client) -> None:
    number = (await status_of(client))["auth_number"]
    assert await call_through_service(client, MY_OTHER_NUMBER, number) == "not_matched"
    status = await status_of(client)
    assert status["state"] == "pending" and status["hint_kind"] == "other_phone"
    assert "別の電話番号" in status["hint"]


async def test_a_call_from_the_old_number_during_a_change_is_told(
    new_client: Callable[..., Awaitable[Client]],
) -> None:
    client = await new_client()
    await verified_login(client, "yamada", PHONE)
    contract = (await store_of(client.app).contracts_of(1))[0]
    response = await submit_change(client, contract.id, "insured", "080-9876-5432")
    change_id = change_id_of(response.headers["Location"])
    await apply_for(client, change_id)
    number = (await change_status(client, change_id))["auth_number"]
    assert await call_through_service(client, PHONE, number) == "not_matched"
    status = await change_status(client, change_id)
    assert status["state"] == "pending" and status["hint_kind"] == "old_phone"
    assert "新しい電話番号からおかけ直しください" in status["hint"]


async def test_a_wrong_keypad_code_is_told_and_the_right_one_verifies(
    new_client: Callable[..., Awaitable[Client]],
) -> None:
    client = await new_client(code_mode="always")
    await login(client, "yamada", "correct horse")
    status = await status_of(client)
    wrong = "0000" if status["code"] != "0000" else "1111"
    number = status["auth_number"]
    assert await call_through_service(client, PHONE, number, code=wrong) == "not_matched"
    assert (await status_of(client))["hint_kind"] == "wrong_code"
    assert await call_through_service(client, PHONE, number, code=status["code"]) == "verified"


async def test_no_verified_wording_before_a_verified_call(client: Client) -> None:
    html = await (await client.get("/verify")).text()
    assert "それで確認は完了しています" not in html  # refused calls are cut off the same way
    assert "通話料はかかりません" in html
    number = (await status_of(client))["auth_number"]
    await call_through_service(client, PHONE, number, "prohib")
    assert "完了しています" not in await (await client.get("/verify")).text()


async def test_after_thirty_seconds_the_page_lists_what_to_check(
    client: Client, clock: FakeClock
) -> None:
    assert (await status_of(client))["check_after"] == 30
    html = await (await client.get("/verify")).text()
    assert 'id="check-box" class="message info check-box" hidden' in html
    clock.advance(31)
    assert (await status_of(client))["check_after"] == 0
    html = await (await client.get("/verify")).text()
    assert 'id="check-box" class="message info check-box" >' in html
    assert "186" in html and "末尾 <strong>5678</strong>" in html


async def test_a_short_window_is_told_in_seconds_and_its_dead_number_is_struck_out(
    new_client: Callable[..., Awaitable[Client]], clock: FakeClock
) -> None:
    client = await new_client(challenge_ttl=20)
    await login(client, "yamada", "correct horse")
    html = await (await client.get("/verify")).text()
    assert "有効時間は20秒です" in html and "1分" not in html
    clock.advance(21)
    html = await (await client.get("/verify")).text()
    assert "有効時間（20秒）が過ぎたため" in html
    assert '<div class="dead-box" id="dead-box" >' in html and '<s id="dead-number">' in html
    assert '<div class="call-box" id="call-box" hidden>' in html  # no number left to tap
