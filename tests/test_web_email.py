"""メールアドレスの登録 on お客様情報: entered twice, confirmed, then saved and audited."""

from __future__ import annotations

import pathlib
from collections.abc import Awaitable, Callable

import pytest

from ivr.config import Config
from tests.conftest import FakeClock
from tests.phone_change_support import Client, seed_with_contracts, verified_login
from tests.web_support import csrf_of
from web.app import create_app
from web.keys import STORE


@pytest.fixture
async def client(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Client:
    client = await aiohttp_client(create_app(Config(db=str(tmp_path / "callauth.db")), clock=clock))
    await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    return client


async def enter(client: Client, email: str, again: str | None = None) -> str:
    token = csrf_of(await (await client.get("/mypage/email")).text())
    data = {"email": email, "email_confirm": email if again is None else again}
    response = await client.post("/mypage/email", data=data | {"csrf_token": token})
    assert response.status == 200
    return await response.text()


async def test_email_is_registered_after_confirmation(client: Client) -> None:
    mypage = await (await client.get("/mypage")).text()
    assert 'href="/mypage/email"' in mypage  # from お客様情報
    confirm = await enter(client, "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ")  # typed with an IME
    assert "hanako@example.jp" in confirm and "この内容で登録する" in confirm and "戻る" in confirm
    holder = await client.app[STORE].holder(1)
    assert holder is not None and holder.email == "taro@example.jp"  # not yet
    response = await client.post(
        "/mypage/email/confirm",
        data={"email": "hanako@example.jp", "csrf_token": csrf_of(confirm)},
    )
    assert "メールアドレスを登録しました" in await response.text()
    holder = await client.app[STORE].holder(1)
    assert holder is not None and holder.email == "hanako@example.jp"
    entry = (await client.app[STORE].audit_entries(1))[0]
    assert entry.event == "email_changed"
    assert entry.detail.startswith("old t***@example.jp new h***@example.jp session ")


@pytest.mark.parametrize(
    ("email", "again", "words"),
    [
        ("", "", "入力してください"),
        ("hanako", "hanako", "形式が正しくありません"),
        ("hanako@", "hanako@", "形式が正しくありません"),
        ("hanako@example", "hanako@example", "形式が正しくありません"),
        ("a b@example.jp", "a b@example.jp", "形式が正しくありません"),
        ("x" * 250 + "@example.jp", None, "形式が正しくありません"),
        ("hanako@example.jp", "hanako@example.co.jp", "一致しません"),
    ],
)
async def test_a_bad_address_is_told_why_and_not_saved(
    client: Client, email: str, again: str | None, words: str
) -> None:
    assert words in await enter(client, email, again)
    holder = await client.app[STORE].holder(1)
    assert holder is not None and holder.email == "taro@example.jp"


async def test_a_tampered_confirmation_is_checked_again(client: Client) -> None:
    confirm = await enter(client, "hanako@example.jp")
    response = await client.post(
        "/mypage/email/confirm", data={"email": "not an address", "csrf_token": csrf_of(confirm)}
    )
    assert "形式が正しくありません" in await response.text()
    holder = await client.app[STORE].holder(1)
    assert holder is not None and holder.email == "taro@example.jp"
