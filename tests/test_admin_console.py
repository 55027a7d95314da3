"""The operator console under /admin: its own accounts, session, CSRF and throttle, never
the holders'; the dashboard, coverage and holder pages; support's audited actions."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callauth.db.models import NewCall, NewPhoneChange
from callauth.db.operators import Operators, Role
from callauth.db.phone_changes import PhoneChanges
from callauth.db.throttle_policy import ThrottlePolicy
from callauth.db.throttles import Throttles
from callauth.ivr.config import Config
from callauth.ivr.passwords import hash_password
from callauth.site import create_site, store_of
from callauth.web.sessions import COOKIE_NAME as HOLDER_COOKIE
from tests.conftest import FakeClock
from tests.web_support import csrf_of, login, seed_holder

Client = TestClient[Any, Any]
OP_PASSWORD = "operator-password-1"
pytestmark = pytest.mark.backends  # the console on SQLite and on PostgreSQL
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def make(db_url: str, clock: FakeClock, aiohttp_client: Any) -> Client:
    config = Config.from_keys(db=db_url, enforcement_date="2099-01-01")
    client: Client = await aiohttp_client(create_site(config, clock=clock))
    store = store_of(client.app)
    await seed_holder(store, "yamada", "correct horse", "+819012345678")
    await seed_holder(store, "suzuki", "correct horse", None)
    await seed_holder(store, "takahashi", "correct horse", "+815012345678")
    for login_id, role in (("viewer1", Role.VIEWER), ("support1", Role.SUPPORT)):
        await Operators(store).add(login_id, await hash_password(OP_PASSWORD), role)
    return client


async def op_login(client: Client, login_id: str, password: str = OP_PASSWORD) -> int:
    page = await client.get("/admin/login")
    token = csrf_of(await page.text())
    response = await client.post("/admin/login", allow_redirects=False,
                                 data={"login": login_id, "password": password, "csrf_token": token})  # fmt: skip
    return response.status


async def test_an_operator_logs_in_and_sees_the_dashboard_data(
    db_url: str, clock: FakeClock, aiohttp_client: Any
) -> None:
    client = await make(db_url, clock, aiohttp_client)
    store = store_of(client.app)
    for outcome in ("verified", "verified", "withheld"):
        await store.record_call(NewCall(clock() - 60, "u", "c", "09012345678", "+819012345678",
                                        "shown", "0120111222", "+81120111222", "127.0.0.1",
                                        "auth-in", outcome, outcome))  # fmt: skip
    assert await op_login(client, "viewer1") == 303
    page = await client.get("/admin")
    html = await page.text()
    assert page.status == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'id="chart-day"' in html and "/static/chart.umd.min.js" in html
    assert '<span class="tile-value" id="share-day">66.7%</span>' in html
    assert '"key": "verified"' in html and "AMI 未使用" in html
    chart = await client.get("/static/chart.umd.min.js")
    assert chart.status == 200 and "Chart.js v4" in (await chart.text())[:200]


async def test_a_holder_cookie_gets_nothing_under_admin_nor_an_operator_cookie_on_holder_pages(
    db_url: str, clock: FakeClock, aiohttp_client: Any
) -> None:
    client = await make(db_url, clock, aiohttp_client)
    assert await login(client, "suzuki", "correct horse") == (302, "/mypage")  # password only
    for path in ("/admin", "/admin/holders?q=yamada", "/admin/coverage.csv", "/admin/holders/1"):
        response = await client.get(path, allow_redirects=False)
        assert (response.status, response.headers.get("Location")) == (303, "/admin/login"), path
    holder_key = client.session.cookie_jar.filter_cookies(client.make_url("/"))[HOLDER_COOKIE].value
    stolen = await client.get("/admin", allow_redirects=False,
                              cookies={"callauth_operator": holder_key})  # fmt: skip
    assert stolen.status == 303
    assert await op_login(client, "support1") == 303
    operator_key = client.session.cookie_jar.filter_cookies(client.make_url("/admin"))[
        "callauth_operator"
    ].value
    client.session.cookie_jar.clear()
    mypage = await client.get("/mypage", allow_redirects=False,
                              cookies={HOLDER_COOKIE: operator_key})  # fmt: skip
    assert (mypage.status, mypage.headers["Location"]) == (302, "/login")


async def test_support_unlocks_a_locked_holder_with_a_reason_and_it_is_audited(
    db_url: str, clock: FakeClock, aiohttp_client: Any
) -> None:
    client = await make(db_url, clock, aiohttp_client)
    store = store_of(client.app)
    throttles = Throttles(store, ThrottlePolicy())
    for n in range(100):
        while (await throttles.reserve("yamada", f"10.0.0.{n}")).wait:
            clock.advance(60)
    assert (await throttles.state("yamada")).locked
    await op_login(client, "support1")
    found = await (await client.get("/admin/holders?q=5678")).text()
    assert "/admin/holders/1" in found and "***-****-5678" in found
    page = await client.get("/admin/holders/1")
    html = await page.text()
    assert "ログインを停止しています" in html
    token = _TOKEN.findall(html)[-1]
    missing = await client.post("/admin/holders/1/unlock", data={"csrf_token": token, "reason": ""})
    assert missing.status == 400 and (await throttles.state("yamada")).locked
    forged = await client.post("/admin/holders/1/unlock", data={"reason": "x"})
    assert forged.status == 403 and (await throttles.state("yamada")).locked
    done = await client.post("/admin/holders/1/unlock", allow_redirects=False,
                             data={"csrf_token": token, "reason": "生年月日で本人確認"})  # fmt: skip
    assert done.status == 303 and not (await throttles.state("yamada")).locked
    actions = await Operators(store).actions()
    assert [(a.operator, a.action) for a in actions[:2]] == [("support1", "unlock"),
                                                             ("support1", "view_holder")]  # fmt: skip
    assert "reason: 生年月日で本人確認" in actions[0].detail
    (entry,) = [e for e in await store.audit_entries(1) if e.event == "login_unlocked"]
    assert entry.detail.startswith("by operator support1: 100 consecutive failures, locked")


async def test_a_viewer_may_look_but_not_unlock(
    db_url: str, clock: FakeClock, aiohttp_client: Any
) -> None:
    client = await make(db_url, clock, aiohttp_client)
    await op_login(client, "viewer1")
    html = await (await client.get("/admin/holders/1")).text()
    token = _TOKEN.findall(html)[0]  # the logout form's: the same session token
    refused = await client.post(
        "/admin/holders/1/unlock", data={"csrf_token": token, "reason": "x"}
    )
    assert refused.status == 403 and "権限がありません" in await refused.text()
    assert (await client.get("/admin/audit")).status == 403


async def test_support_cancels_a_stuck_phone_change(
    db_url: str, clock: FakeClock, aiohttp_client: Any
) -> None:
    client = await make(db_url, clock, aiohttp_client)
    store = store_of(client.app)
    change = await PhoneChanges(store).draft(NewPhoneChange(1, 1, "holder", "+819012345678",
                                             "+818011112222", "2026-01-01", "ref", "127.0.0.1"))  # fmt: skip
    await op_login(client, "support1")
    html = await (await client.get("/admin/holders/1")).text()
    assert "***-****-2222" in html
    done = await client.post(f"/admin/holders/1/changes/{change.id}/cancel", allow_redirects=False,
                             data={"csrf_token": _TOKEN.findall(html)[-1], "reason": "お客さま依頼"})  # fmt: skip
    assert done.status == 303
    cancelled = await PhoneChanges(store).get(change.id)
    assert cancelled is not None and cancelled.state.value == "cancelled"
    assert (await Operators(store).actions())[0].action == "cancel_change"


async def test_coverage_counts_usable_none_and_unusable_and_lists_those_to_contact(
    db_url: str, clock: FakeClock, aiohttp_client: Any
) -> None:
    client = await make(db_url, clock, aiohttp_client)
    await op_login(client, "viewer1")
    html = await (await client.get("/admin/coverage")).text()
    for cell in ('id="usable">1人', 'id="none">1人', 'id="unusable">1人', "IP電話（050）: 1人"):
        assert cell in html
    rows = (await (await client.get("/admin/coverage.csv")).read()).decode("utf-8-sig").splitlines()
    assert rows[0].startswith("ログインID,氏名")
    assert [r.split(",")[0] for r in rows[1:]] == ["suzuki", "takahashi"]
    assert "5678" in rows[2] and "5012345678" not in rows[2]


async def test_operator_logins_have_a_throttle_of_their_own(
    db_url: str, clock: FakeClock, aiohttp_client: Any
) -> None:
    client = await make(db_url, clock, aiohttp_client)
    statuses = [await op_login(client, "viewer1", "wrong password") for _ in range(6)]
    assert statuses[:5] == [200] * 5 and statuses[5] == 429
    assert await op_login(client, "viewer1") == 429  # still waiting out the back-off
    assert await login(client, "suzuki", "correct horse") == (302, "/mypage")  # holders unaffected
    actions = [a.action for a in await Operators(store_of(client.app)).actions()]
    assert actions.count("login_failure") == 5 and "login_refused" in actions


async def test_operators_add_reads_the_password_from_stdin(
    db_url: str, clock: FakeClock, aiohttp_client: Any
) -> None:
    client = await make(db_url, clock, aiohttp_client)
    db = db_url

    def add(login_id: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "callauth", "operators", "add", login_id,
                               "--role", "support", "--db", db], input=password + "\n",
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    done = await asyncio.to_thread(add, "sato.ops", "a-long-enough-password")
    assert done.returncode == 0 and done.stdout == "added operator sato.ops (support)\n"
    assert "a-long-enough" not in done.stdout + done.stderr
    assert (await asyncio.to_thread(add, "sato.ops", "a-long-enough-password")).returncode == 1
    short = await asyncio.to_thread(add, "kato", "short")
    assert short.returncode == 2 and "12 characters" in short.stderr
    assert await op_login(client, "sato.ops", "a-long-enough-password") == 303
