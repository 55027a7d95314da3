"""Helpers for tests of the web layer: seeding holders and a scripted login."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from callauth.db.models import Holder, NewContract, NewHolder
from callauth.db.store import Store
from callauth.ivr.agi_server import parse_header
from callauth.ivr.dialplan import FASTAGI_PORT
from callauth.ivr.passwords import hash_password
from callauth.ivr.service import AgiCall
from callauth.ivr.simulator import call_spec, header_block
from callauth.web.keys import SERVICES
from callauth.web.sessions import COOKIE_NAME

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def seed_holder(
    store: Store,
    login_id: str = "yamada",
    password: str = "correct horse",
    phone_e164: str | None = "+819012345678",
    *,
    with_contracts: bool = True,
) -> Holder:
    holder = await store.add_holder(
        NewHolder(
            login_id=login_id,
            password_hash=await hash_password(password),
            name="山田 太郎",
            kana="ヤマダ タロウ",
            birth_date="1980-04-01",
            email="taro@example.jp",
            phone_e164=phone_e164,
        )
    )
    if with_contracts:
        await store.add_contract(
            holder.id,
            NewContract(
                policy_number=f"MS-{holder.id:06d}",
                product="家財保険（賃貸住宅用）",
                start_date="2024-04-01",
                end_date="2026-03-31",
                insured_name="山田 太郎",
                insured_same_as_holder=True,
                insured_phone_e164=phone_e164,
            ),
        )
    return holder


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "page has no csrf_token field"
    return found.group(1)


def session_key(client: TestClient) -> str | None:
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/")).get(COOKIE_NAME)
    return cookie.value if cookie else None


async def login(client: TestClient, login_id: str, password: str) -> tuple[int, str]:
    """GET the form, POST it with its token; (status, Location or body)."""
    page = await client.get("/login")
    token = csrf_of(await page.text())
    response = await client.post(
        "/login",
        data={"login_id": login_id, "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    text = response.headers.get("Location", "") or await response.text()
    return response.status, text


async def call_through_service(
    client: TestClient,
    caller: str,
    dialled: str,
    presentation: str = "allowed",
    code: str | None = None,
) -> str:
    """A call over a trusted PJSIP trunk as the simulated Asterisk presents it (its header
    block, CALLERID(num-pres)), decided by the app's service without a socket; ``code`` is
    keyed when the service asks for one (as the FastAGI handler would pass it on)."""
    spec = call_spec(caller, dialled, presentation=presentation, channel_type="PJSIP")
    env = parse_header(header_block(spec, "127.0.0.1", FASTAGI_PORT))
    call = AgiCall(env, spec.num_pres, "127.0.0.1")
    service = client.app[SERVICES].calls
    decision = await service.handle_call(call)
    if decision.asks_code and code is not None:
        decision = await service.key_code(call, decision, code)
    return decision.outcome.value
