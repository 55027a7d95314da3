"""/demo/apply: the insurer's application form with the phone field embedded, only with
--demo; without JavaScript the form's own back end refuses an unusable number."""

from __future__ import annotations

import pathlib
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callauth.ivr.config import Config
from callauth.site import create_site
from callauth.web.app import CSP
from tests.web_support import csrf_of

Client = TestClient[Any, Any]
Factory = Callable[..., Awaitable[Client]]


async def demo_client(tmp_path: pathlib.Path, aiohttp_client: Factory, demo: bool) -> Client:
    return await aiohttp_client(create_site(Config(db=str(tmp_path / "callauth.db"), demo=demo)))


async def test_the_demo_form_exists_only_with_demo(
    tmp_path: pathlib.Path, aiohttp_client: Factory
) -> None:
    client = await demo_client(tmp_path, aiohttp_client, demo=False)
    assert (await client.get("/demo/apply")).status == 404
    assert (await client.post("/demo/apply", data={})).status in (403, 404)


async def test_the_form_embeds_the_field_as_an_insurer_would(
    tmp_path: pathlib.Path, aiohttp_client: Factory
) -> None:
    client = await demo_client(tmp_path, aiohttp_client, demo=True)
    response = await client.get("/demo/apply")
    assert response.status == 200
    html = await response.text()
    assert response.headers["Content-Security-Policy"] == CSP  # strict: no inline script
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert scripts == [""], "only external scripts"
    assert '<script src="/static/phone-field.js" defer>' in html
    assert " on" not in re.sub(r'"[^"]*"', "", html).replace(" one", "")  # no onclick=…
    # The notice's case: the insured's field when applicant and insured are the same.
    assert "契約者（申込人）と被保険者が同じ" in html
    assert re.search(r'id="insured_phone"[^>]*data-callauth-phone-if="#same-person"', html, re.S)
    assert re.search(
        r'id="applicant_phone"[^>]*data-callauth-phone-unless="#same-person"', html, re.S
    )
    script = await client.get("/static/phone-field.js")
    assert script.status == 200 and "javascript" in script.content_type


async def post_form(client: Client, **fields: str) -> tuple[int, str]:
    token = csrf_of(await (await client.get("/demo/apply")).text())
    response = await client.post("/demo/apply", data={"csrf_token": token, **fields})
    return response.status, await response.text()


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("050-1234-5678", "050から始まるIP電話の番号は本人認証にご利用いただけません。"),
        ("0120-111-222", "フリーダイヤルの番号は本人認証にご利用いただけません。"),
        ("", "電話番号を入力してください。"),
    ],
)
async def test_without_javascript_the_back_end_refuses_an_unusable_number(
    tmp_path: pathlib.Path, aiohttp_client: Factory, number: str, message: str
) -> None:
    client = await demo_client(tmp_path, aiohttp_client, demo=True)
    status, html = await post_form(
        client, same_person="1", insured_name="山田 花子", insured_phone=number
    )
    assert status == 422
    assert re.search(r'id="insured_phone"[^>]*aria-invalid="true"', html, re.S)
    found = re.search(
        r'<p class="callauth-phone-message" id="insured_phone-message"[^>]*>([^<]*)<', html
    )
    assert found and message in found.group(1)
    assert "山田 花子" in html  # what was typed stays


async def test_same_person_uses_the_insured_phone(
    tmp_path: pathlib.Path, aiohttp_client: Factory
) -> None:
    client = await demo_client(tmp_path, aiohttp_client, demo=True)
    status, html = await post_form(
        client, same_person="1", insured_name="山田 花子", insured_phone="09012345678",
        applicant_phone="050-1234-5678",  # hidden and ignored when the same person
    )  # fmt: skip
    assert status == 200
    assert '<strong id="applied-phone">090-1234-5678</strong>（被保険者の電話番号）' in html


async def test_another_applicant_needs_a_usable_number_of_their_own(
    tmp_path: pathlib.Path, aiohttp_client: Factory
) -> None:
    client = await demo_client(tmp_path, aiohttp_client, demo=True)
    fields = {"insured_name": "山田 一郎", "insured_phone": "050-1111-2222",
              "applicant_name": "山田 花子"}  # fmt: skip
    status, html = await post_form(client, **fields, applicant_phone="0570-000-123")
    assert status == 422
    assert "ナビダイヤル" in html
    assert not re.search(r'id="insured_phone"[^>]*aria-invalid', html, re.S)
    status, html = await post_form(client, **fields, applicant_phone="03-1234-5678")
    assert status == 200
    assert "03-1234-5678</strong>（申込人（契約者になる方）の電話番号）" in html


async def test_the_form_needs_its_csrf_token(
    tmp_path: pathlib.Path, aiohttp_client: Factory
) -> None:
    client = await demo_client(tmp_path, aiohttp_client, demo=True)
    response = await client.post(
        "/demo/apply", data={"insured_name": "x", "insured_phone": "09012345678"}
    )
    assert response.status == 403
