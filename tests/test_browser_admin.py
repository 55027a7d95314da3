"""The operator console in a real Chromium against `callauth serve --demo`: an operator
logs in, the dashboard's Chart.js charts are drawn, a holder found by the last 4 digits of
the phone is unlocked (and the audit trail says so); a holder's browser gets the console's
login page instead. Screenshots of every console page at 390 and 1280 px."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections.abc import Iterator

import pytest

from callauth.db.store import Store
from callauth.db.throttle_policy import ThrottlePolicy
from callauth.db.throttles import Throttles
from tests.browser_support import CALLAUTH, Server, browser, log_in, screenshot
from tests.conftest import FakeClock

from playwright.sync_api import Browser, Page  # isort: skip

__all__ = ["browser"]  # module-scoped fixture used below

OPERATOR, PASSWORD = "ops.admin", "console-password-1"
#: Whether a canvas holds any pixel that is not transparent: the chart was really drawn.
DRAWN = """id => {
  const canvas = document.getElementById(id);
  if (!canvas || !window.Chart || !Chart.getChart(canvas)) return false;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
  return false;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("serve")
    server = Server(tmp)
    try:
        added = subprocess.run(
            [*CALLAUTH, "operators", "add", OPERATOR, "--role", "admin", "--db", str(tmp / "demo.db")],
            input=PASSWORD + "\n", capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        asyncio.run(_lock(str(tmp / "demo.db"), "demo"))
        server.call("09012345678", "0120111222")  # a call for the chart (no login waits)
        yield server
    finally:
        server.stop()


async def _lock(db: str, login_id: str) -> None:
    """Fail the ID's logins until it is locked, as a stranger would over 80 minutes."""
    clock = FakeClock(int(time.time()))
    store = await Store.open(db, clock)
    try:
        throttles = Throttles(store, ThrottlePolicy())
        for n in range(100):
            while (await throttles.reserve(login_id, f"10.0.0.{n}")).wait:
                clock.advance(60)
        assert (await throttles.state(login_id)).locked
    finally:
        await store.close()


def both_widths(page: Page, name: str) -> None:
    for width, height in ((390, 844), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        # Charts resize on the next frames (a ResizeObserver): nothing may stick out.
        page.wait_for_function(
            "w => document.documentElement.scrollWidth <= w", arg=width, timeout=3000
        )
        screenshot(page, f"{name}-{width}")


def test_an_operator_sees_the_charts_finds_a_holder_by_4_digits_and_unlocks_it(
    server: Server, browser: Browser
) -> None:
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    base = f"http://{server.http}"
    page.goto(f"{base}/admin/login")
    both_widths(page, "admin-login")
    page.fill("input[name=login]", OPERATOR)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/admin$"))
    page.wait_for_function(DRAWN, arg="chart-day", timeout=5000)
    assert page.evaluate(DRAWN, "chart-month")
    assert page.inner_text("#pbx-state") == "AMI 未使用"
    both_widths(page, "admin-dashboard")
    page.click("text=登録状況")
    page.wait_for_function(DRAWN, arg="chart-coverage", timeout=5000)
    assert page.inner_text("#unusable") == "1人" and page.inner_text("#none") == "1人"
    both_widths(page, "admin-coverage")
    page.click("text=契約者検索")
    page.fill("input[name=q]", "5678")
    page.click("button:has-text('検索する')")
    results = page.locator(".results li")
    assert results.count() == 3  # demo 090-…-5678, sato 03-…-5678, takahashi 050-…-5678
    both_widths(page, "admin-search")
    page.click("a:has-text('demo')")
    assert "ログインを停止しています" in page.inner_text("#throttle-state")
    both_widths(page, "admin-holder-locked")
    page.fill("#unlock-reason", "コールセンターで生年月日と証券番号を確認")
    page.click("#unlock-form button")
    page.wait_for_selector("#notice")
    assert page.inner_text("#throttle-state") == "制限はありません"
    both_widths(page, "admin-holder-unlocked")
    page.click("text=操作記録")
    rows = page.locator("table.list tbody tr").all_inner_texts()
    (unlocked,) = [row for row in rows if "\tunlock\t" in row]
    assert OPERATOR in unlocked and "生年月日と証券番号を確認" in unlocked
    both_widths(page, "admin-audit")
    page.context.close()


def test_a_holders_browser_gets_the_console_login_page(server: Server, browser: Browser) -> None:
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(page, server, "sato", "sato1234")  # a holder's session, waiting for the call
    page.goto(f"http://{server.http}/admin")
    assert page.url.endswith("/admin/login")
    assert page.locator("input[name=login]").is_visible()
    page.goto(f"http://{server.http}/admin/holders?q=5678")
    assert page.url.endswith("/admin/login")
    page.context.close()


def test_the_console_login_page_has_no_holder_session(server: Server, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"http://{server.http}/admin/login")
    names = {cookie["name"] for cookie in context.cookies()}
    assert "callauth_session" not in names
    context.close()
