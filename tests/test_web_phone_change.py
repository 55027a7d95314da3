"""The change procedure's screens, as the notice shows them: ご契約一覧 → contract →
保険契約者 / 被保険者「変更する」 → phone number and 変更日 → 次へ → confirmation."""

from __future__ import annotations

import pathlib
from collections.abc import Awaitable, Callable

import pytest

from callauth.db.models import ChangeState
from callauth.ivr.config import Config
from callauth.site import create_site, store_of
from callauth.web.keys import SERVICES
from tests.conftest import FakeClock
from tests.phone_change_support import (
    Client,
    apply_for,
    change_id_of,
    seed_with_contracts,
    submit_change,
    verified_login,
)
from tests.web_support import csrf_of


@pytest.fixture
async def client(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Client:
    config = Config.from_keys(db=str(tmp_path / "callauth.db"), call_centre_phone="0120-000-999")
    return await aiohttp_client(create_site(config, clock=clock))


async def test_contract_list_leads_to_each_contract(client: Client) -> None:
    _, same, other, locked = await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    html = await (await client.get("/mypage")).text()
    assert "ご契約一覧" in html and "お客様情報" in html
    for contract in (same, other, locked):
        assert f'href="/mypage/contracts/{contract.id}"' in html


async def test_same_person_changes_from_the_insured_section(client: Client) -> None:
    _, same, _, _ = await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    html = await (await client.get(f"/mypage/contracts/{same.id}")).text()
    assert "保険契約者" in html and "被保険者と同じ" in html
    assert f'href="/mypage/contracts/{same.id}/change/insured">変更する' in html
    assert f"/mypage/contracts/{same.id}/change/holder" not in html
    wrong = await client.get(f"/mypage/contracts/{same.id}/change/holder", allow_redirects=False)
    assert wrong.headers["Location"] == f"/mypage/contracts/{same.id}/change/insured"


async def test_holder_section_changes_when_the_insured_is_someone_else(client: Client) -> None:
    _, _, other, _ = await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    html = await (await client.get(f"/mypage/contracts/{other.id}")).text()
    assert f'href="/mypage/contracts/{other.id}/change/holder">変更する' in html
    assert "山田 花子" in html and "/change/insured" not in html


async def test_usable_number_is_told_nothing_needs_doing_yet_may_change(client: Client) -> None:
    _, same, _, _ = await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    html = await (await client.get(f"/mypage/contracts/{same.id}")).text()
    assert "お手続きいただく必要はありません" in html and "末尾 5678" in html
    assert 'href="/mypage#contracts">戻る' in html
    assert ">変更する<" in html  # a real product lets people change a number


async def test_not_changeable_contract_points_to_the_call_centre(client: Client) -> None:
    _, _, _, locked = await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    contract_page = await (await client.get(f"/mypage/contracts/{locked.id}")).text()
    assert ">変更する<" in contract_page
    response = await client.get(f"/mypage/contracts/{locked.id}/change/holder")
    html = await response.text()
    assert response.status == 200
    assert "オンラインでお手続きいただけないご契約です" in html
    assert "0120-000-999" in html and "戻る" in html
    posted = await client.post(
        f"/mypage/contracts/{locked.id}/change/holder",
        data={"phone": "080-9876-5432", "change_date": "2027-01-15",
              "csrf_token": csrf_of(contract_page)},
    )  # fmt: skip
    assert posted.status == 200 and "オンラインでお手続きいただけない" in await posted.text()
    assert await client.app[SERVICES].calls.phone_changes.awaiting_of(1) is None


async def test_another_holders_contract_is_not_found(client: Client) -> None:
    await seed_with_contracts(client)
    _, theirs, _, _ = await seed_with_contracts(client, "sato", "+81312345678")
    await verified_login(client, "yamada", "09012345678")
    assert (await client.get(f"/mypage/contracts/{theirs.id}")).status == 404
    assert (await client.get(f"/mypage/contracts/{theirs.id}/change/insured")).status == 404


async def test_form_shows_name_kana_and_birth_date_read_only(client: Client) -> None:
    _, same, _, _ = await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    html = await (await client.get(f"/mypage/contracts/{same.id}/change/insured")).text()
    assert "☆氏名または名称" in html and "山田 太郎" in html
    assert "☆氏名または名称カナ" in html and "☆生年月日" in html and "1980年4月1日" in html
    assert 'name="name"' not in html and 'name="kana"' not in html
    assert "コールセンター" in html and "0120-000-999" in html  # name changes
    assert 'name="phone"' in html and 'name="change_date"' in html and "変更日" in html
    assert 'value="2027-01-15"' in html  # today (JST) by default
    assert ">次へ<" in html and ">戻る<" in html


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("090-9876-54", "桁数が足りません"),
        ("090-9876-543", "電話番号として正しくありません"),
        ("050-1234-5678", "050から始まるIP電話"),
        ("0120-111-222", "フリーダイヤル"),
        ("0570-123-456", "ナビダイヤル"),
        ("020-1234-5678", "020から始まる番号"),
        ("0990-123-456", "0990"),
        ("+1 202 555 0123", "海外の電話番号"),
        ("でんわ", "数字で入力"),
        ("", "電話番号を入力してください"),
        ("090-1234-5678", "現在ご登録の電話番号と同じです"),
    ],
)
async def test_a_refused_number_is_told_why_and_changes_nothing(
    client: Client, typed: str, words: str
) -> None:
    holder, same, _, _ = await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    response = await submit_change(client, same.id, "insured", typed)
    html = await response.text()
    assert response.status == 200 and words in html
    assert f'value="{typed}"' in html  # kept for correction
    assert await client.app[SERVICES].calls.phone_changes.get(1) is None
    assert (await store_of(client.app).holder(holder.id)) == holder


@pytest.mark.parametrize("day", ["2027-01-14", "2027-04-16", "2027/01/20", "明日"])
async def test_a_change_date_out_of_range_is_refused(client: Client, day: str) -> None:
    _, same, _, _ = await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    response = await submit_change(client, same.id, "insured", "080-9876-5432", day)
    assert response.status == 200 and "変更日" in await response.text()
    assert await client.app[SERVICES].calls.phone_changes.get(1) is None


async def test_next_shows_the_confirmation_with_underwriters(client: Client) -> None:
    _, same, _, _ = await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    response = await submit_change(client, same.id, "insured", "０８０－９８７６－５４３２")
    change_id = change_id_of(response.headers["Location"])
    html = await (await client.get(response.headers["Location"])).text()
    assert "080-9876-5432" in html and "***-****-5678" in html and "2027年1月15日" in html
    assert "引受保険会社" in html and "幹事保険会社" in html and "非幹事保険会社" in html
    assert html.count("引受割合 50%") == 2 and "みらい少額短期保険株式会社" in html
    assert "この内容で保険契約の変更(異動)を申し込む" in html
    back = f"/mypage/contracts/{same.id}/change/insured?change={change_id}"
    assert f'href="{back}">戻る' in html
    form = await (await client.get(back)).text()
    assert 'value="080-9876-5432"' in form  # 戻る keeps what was typed
    draft = await client.app[SERVICES].calls.phone_changes.get(change_id)
    assert draft is not None and draft.state is ChangeState.DRAFT


async def test_wrong_password_at_confirmation_changes_nothing(client: Client) -> None:
    holder, same, _, _ = await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    response = await submit_change(client, same.id, "insured", "080-9876-5432")
    change_id = change_id_of(response.headers["Location"])
    answer = await apply_for(client, change_id, "wrong password")
    assert answer.status == 200 and "パスワードが正しくありません" in await answer.text()
    draft = await client.app[SERVICES].calls.phone_changes.get(change_id)
    assert draft is not None and draft.state is ChangeState.DRAFT and draft.challenge_id is None
    assert (await store_of(client.app).holder(holder.id)) == holder
    events = [e.event for e in await store_of(client.app).audit_entries(holder.id)]
    assert "phone_change_wrong_password" in events
    assert (await apply_for(client, change_id)).headers["Location"].endswith("/call")


async def test_forms_without_the_csrf_token_are_refused(client: Client) -> None:
    _, same, _, _ = await seed_with_contracts(client)
    await verified_login(client, "yamada", "09012345678")
    change_id = change_id_of(
        (await submit_change(client, same.id, "insured", "080-9876-5432")).headers["Location"]
    )
    for url, data in [
        (f"/mypage/contracts/{same.id}/change/insured", {"phone": "08011112222"}),
        (f"/mypage/changes/{change_id}/confirm", {"password": "correct horse"}),
        (f"/mypage/changes/{change_id}/cancel", {}),
        ("/mypage/email", {"email": "a@example.jp", "email_confirm": "a@example.jp"}),
        ("/mypage/email/confirm", {"email": "a@example.jp"}),
    ]:
        for token in ({}, {"csrf_token": "forged"}):
            response = await client.post(url, data=data | token, allow_redirects=False)
            assert response.status == 403, url
    draft = await client.app[SERVICES].calls.phone_changes.get(change_id)
    assert draft is not None and draft.state is ChangeState.DRAFT


async def test_pages_need_a_login(client: Client) -> None:
    _, same, _, _ = await seed_with_contracts(client)
    for url in [f"/mypage/contracts/{same.id}", f"/mypage/contracts/{same.id}/change/insured",
                "/mypage/changes/1/confirm", "/mypage/changes/1/call", "/mypage/email"]:  # fmt: skip
        response = await client.get(url, allow_redirects=False)
        assert (response.status, response.headers["Location"]) == (302, "/login"), url
