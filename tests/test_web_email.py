"""メールアドレスの登録 on お客様情報: entered twice, a code mailed to the address (read from
a real SMTP server in-process), and registered only when that code comes back."""

from __future__ import annotations

import pathlib
import re
from collections.abc import Awaitable, Callable

import pytest

from callauth.ivr.config import Config
from callauth.mailer import Mailer, SmtpTransport
from callauth.site import create_site, outbox_of, store_of
from tests.conftest import FakeClock
from tests.phone_change_support import Client, seed_with_contracts, verified_login
from tests.smtp_support import SmtpServer
from tests.web_support import csrf_of

SITE = "https://www.example.jp"


@pytest.fixture
async def client(
    tmp_path: pathlib.Path,
    clock: FakeClock,
    relay: SmtpServer,
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> Client:
    config = Config.from_keys(
        db=str(tmp_path / "callauth.db"), smtp=relay.address, site_url=SITE, session_max_age=3600
    )
    client = await aiohttp_client(create_site(config, clock=clock))
    await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    return client


async def enter(client: Client, email: str, again: str | None = None) -> str:
    token = csrf_of(await (await client.get("/mypage/email")).text())
    data = {"email": email, "email_confirm": email if again is None else again}
    response = await client.post("/mypage/email", data=data | {"csrf_token": token})
    assert response.status == 200
    return await response.text()


async def send_code(client: Client, email: str = "hanako@example.jp") -> str:
    """次へ, then 確認コードを送信する: the code page's HTML."""
    confirm = await enter(client, email)
    response = await client.post(
        "/mypage/email/confirm", data={"email": email, "csrf_token": csrf_of(confirm)}
    )
    assert response.status == 200 and str(response.url).endswith("/mypage/email/verify")
    return await response.text()


async def mailed_code(client: Client, relay: SmtpServer) -> tuple[str, str]:
    """Let the sender run once; (code, link) from the newest mail at the relay."""
    config = Config.from_keys(smtp=relay.address)
    store = store_of(client.app)
    await Mailer(
        outbox_of(client.app), config.site, store.clock, SmtpTransport(config.site)
    ).send_due()
    body = relay.inbox.mails[-1].body
    code = re.search(r"確認コード：(\d{6})", body)
    link = re.search(rf"{re.escape(SITE)}(/mypage/email/verify\?code=\d{{6}})", body)
    assert code and link, body
    return code.group(1), link.group(1)


async def type_code(client: Client, code: str, page: str) -> tuple[int, str, str]:
    """確認する: (status, final path, text)."""
    response = await client.post(
        "/mypage/email/verify", data={"code": code, "csrf_token": csrf_of(page)}
    )
    return response.status, response.url.path, await response.text()


async def registered(client: Client) -> tuple[str | None, int | None]:
    holder = await store_of(client.app).holder(1)
    assert holder is not None
    return holder.email, holder.email_confirmed_at


async def test_the_address_is_registered_only_when_the_mailed_code_comes_back(
    client: Client, relay: SmtpServer
) -> None:
    mypage = await (await client.get("/mypage")).text()
    assert 'href="/mypage/email"' in mypage and "taro@example.jp（未確認）" in mypage
    confirm = await enter(client, "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ")  # typed with an IME
    assert "hanako@example.jp" in confirm and "確認コードを送信する" in confirm
    page = await send_code(client)
    assert "hanako@example.jp" in page and "確認コード" in page
    assert await registered(client) == ("taro@example.jp", None)  # not yet
    code, link = await mailed_code(client, relay)
    assert relay.inbox.mails[-1].recipients == ("hanako@example.jp",)
    filled = await (await client.get(link)).text()  # the mail's link fills the code in
    assert f'value="{code}"' in filled
    assert await registered(client) == ("taro@example.jp", None)  # a GET never confirms
    status, path, text = await type_code(client, code, filled)
    assert (status, path) == (200, "/mypage") and "メールアドレスを登録しました" in text
    email, confirmed_at = await registered(client)
    assert email == "hanako@example.jp" and confirmed_at is not None
    entries = await store_of(client.app).audit_entries(1)
    assert [e.event for e in entries[:2]] == ["email_changed", "email_confirmation_sent"]
    assert entries[0].detail.startswith("old t***@example.jp new h***@example.jp confirmed")
    assert not any("hanako@" in e.detail or code in e.detail for e in entries)


async def test_a_wrong_code_is_told_with_the_tries_left_and_saves_nothing(
    client: Client, relay: SmtpServer
) -> None:
    page = await send_code(client)
    code, _ = await mailed_code(client, relay)
    wrong = "000000" if code != "000000" else "111111"
    status, path, text = await type_code(client, wrong, page)
    assert path == "/mypage/email/verify" and "確認コードが正しくありません" in text
    assert "あと4回" in text
    assert await registered(client) == ("taro@example.jp", None)
    assert (await store_of(client.app).audit_entries(1))[0].event == "email_confirmation_failed"
    status, path, _ = await type_code(client, code, text)  # the right one still works
    assert path == "/mypage"


async def test_five_wrong_codes_use_the_code_up_even_for_the_right_one(
    client: Client, relay: SmtpServer
) -> None:
    page = await send_code(client)
    code, _ = await mailed_code(client, relay)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        _, _, page = await type_code(client, wrong, page)
    assert "5回を超えた" in page and "確認コードを再送する" in page
    _, path, text = await type_code(client, code, page)
    assert path == "/mypage/email/verify" and "5回を超えた" in text
    assert await registered(client) == ("taro@example.jp", None)


async def test_an_expired_code_fails_and_a_new_one_can_be_sent(
    client: Client, clock: FakeClock, relay: SmtpServer
) -> None:
    page = await send_code(client)
    old_code, _ = await mailed_code(client, relay)
    clock.advance(30 * 60)  # the session (an hour here) lives on, the code does not
    _, _, text = await type_code(client, old_code, page)
    assert "有効期限が切れました" in text
    assert await registered(client) == ("taro@example.jp", None)
    response = await client.post(  # 確認コードを再送する
        "/mypage/email/confirm", data={"email": "hanako@example.jp", "csrf_token": csrf_of(text)}
    )
    page = await response.text()
    new_code, _ = await mailed_code(client, relay)
    assert len(relay.inbox.mails) == 2
    _, path, _ = await type_code(client, new_code, page)
    assert path == "/mypage" and (await registered(client))[0] == "hanako@example.jp"


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"])
async def test_a_code_of_the_wrong_shape_is_told_and_costs_no_try(
    client: Client, relay: SmtpServer, typed: str
) -> None:
    page = await send_code(client)
    code, _ = await mailed_code(client, relay)
    for _ in range(6):
        _, _, page = await type_code(client, typed, page)
    assert "6桁の数字で入力してください" in page
    full_width = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    _, path, _ = await type_code(client, full_width[:3] + "-" + full_width[3:], page)
    assert path == "/mypage"  # full-width digits and a hyphen are fine


async def test_the_code_form_needs_its_csrf_token(client: Client, relay: SmtpServer) -> None:
    await send_code(client)
    code, _ = await mailed_code(client, relay)
    response = await client.post("/mypage/email/verify", data={"code": code})
    assert response.status == 403
    assert await registered(client) == ("taro@example.jp", None)


async def test_codes_sent_per_hour_are_limited(client: Client, relay: SmtpServer) -> None:
    for _ in range(5):
        await send_code(client)
    confirm = await enter(client, "hanako@example.jp")
    response = await client.post(
        "/mypage/email/confirm", data={"email": "hanako@example.jp", "csrf_token": csrf_of(confirm)}
    )
    assert "送信回数が上限に達しました" in await response.text()
    await Mailer(outbox_of(client.app), Config.from_keys(smtp=relay.address).site, store_of(client.app).clock,
                 SmtpTransport(Config.from_keys(smtp=relay.address).site)).send_due()  # fmt: skip
    assert len(relay.inbox.mails) == 5


async def test_the_code_page_without_a_code_sent_goes_back_to_the_form(client: Client) -> None:
    response = await client.get("/mypage/email/verify", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/mypage/email")


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
    assert await registered(client) == ("taro@example.jp", None)
    assert await outbox_of(client.app).due(10) == []


async def test_a_tampered_confirmation_is_checked_again(client: Client) -> None:
    confirm = await enter(client, "hanako@example.jp")
    response = await client.post(
        "/mypage/email/confirm", data={"email": "not an address", "csrf_token": csrf_of(confirm)}
    )
    assert "形式が正しくありません" in await response.text()
    assert await outbox_of(client.app).due(10) == []


async def test_with_mail_off_no_address_can_be_registered(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    config = Config.from_keys(db=str(tmp_path / "off.db"), mail_enabled=False)
    client = await aiohttp_client(create_site(config, clock=clock))
    await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    page = await (await client.get("/mypage/email")).text()
    assert "受け付けておりません" in page and 'action="/mypage/email"' not in page
    response = await client.post(
        "/mypage/email/confirm", data={"email": "hanako@example.jp", "csrf_token": csrf_of(page)}
    )
    assert "受け付けておりません" in await response.text()
    assert await outbox_of(client.app).due(10) == []
