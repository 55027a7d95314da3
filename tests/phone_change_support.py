"""Helpers for the phone-change tests: calls through the service, a verified login, the
change form and its confirmation driven like a browser does."""

from __future__ import annotations

import itertools
import re
from typing import Any

from aiohttp.test_utils import TestClient

from callauth.db.models import Contract, Holder, NewContract
from callauth.site import store_of
from tests.web_support import call_through_service, csrf_of, login, seed_holder

Client = TestClient[Any, Any]
PASSWORD = "correct horse"
_UNIQUEIDS = itertools.count(1)


async def place_call(
    client: Client, caller: str, dialled: str, presentation: str = "allowed",
    code: str | None = None,
) -> str:  # fmt: skip
    """A call the way Asterisk hands it to FastAGI (trusted trunk), through the service."""
    return await call_through_service(client, caller, dialled, presentation, code)


async def verified_login(client: Client, login_id: str, caller: str) -> None:
    """Password, then the call from ``caller``, then My Page."""
    assert await login(client, login_id, PASSWORD) == (302, "/verify")
    status = await (await client.get("/verify/status")).json()
    assert (
        await place_call(client, caller, status["auth_number"], code=status["code"]) == "verified"
    )
    assert (await client.get("/mypage")).status == 200


async def seed_with_contracts(
    client: Client, login_id: str = "yamada", phone: str | None = "+819012345678"
) -> tuple[Holder, Contract, Contract, Contract]:
    """A holder with a same-person contract, one whose insured differs, one not changeable."""
    store = store_of(client.app)
    holder = await seed_holder(store, login_id, PASSWORD, phone)
    same = (await store.contracts_of(holder.id))[0]
    other = await store.add_contract(
        holder.id,
        NewContract(f"OT-{holder.id:06d}", "個人賠償責任保険", "2026-10-01", "2027-10-01",
                    "山田 花子", "ヤマダ ハナコ", "1982-02-14", False, None, True),
    )  # fmt: skip
    locked = await store.add_contract(
        holder.id,
        NewContract(f"LK-{holder.id:06d}", "団体保険", "2026-10-01", "2027-10-01",
                    "山田 次郎", "", "", False, None, False),
    )  # fmt: skip
    return holder, same, other, locked


async def submit_change(
    client: Client, contract_id: int, party: str, phone: str, change_date: str = "2027-01-15"
) -> Any:
    """GET the form and POST it (次へ); the response, redirects not followed."""
    url = f"/mypage/contracts/{contract_id}/change/{party}"
    token = csrf_of(await (await client.get(url)).text())
    data = {"phone": phone, "change_date": change_date, "csrf_token": token}
    return await client.post(url, data=data, allow_redirects=False)


def change_id_of(location: str) -> int:
    found = re.fullmatch(r"/mypage/changes/(\d+)/confirm", location)
    assert found, location
    return int(found.group(1))


async def apply_for(client: Client, change_id: int, password: str = PASSWORD) -> Any:
    """On the confirmation: the password, then 「この内容で保険契約の変更(異動)を申し込む」."""
    url = f"/mypage/changes/{change_id}/confirm"
    token = csrf_of(await (await client.get(url)).text())
    data = {"password": password, "csrf_token": token}
    return await client.post(url, data=data, allow_redirects=False)


async def change_status(client: Client, change_id: int) -> dict[str, Any]:
    response = await client.get(f"/mypage/changes/{change_id}/status")
    assert response.status == 200
    return dict(await response.json())
