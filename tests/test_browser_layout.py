"""The policyholder's pages in a real Chromium at 390×844 (a phone) and 1280×800 (a
desktop), issue 10: layout facts on every screen (tests/browser_layout.py), the number as a
big tel: button on the first screen, a QR code beside it on desktops only, and the message
under the number always the last call that can be tied to this login. Every screen is kept
as a screenshot in artifacts/screenshots/ (README "Screenshots")."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser_layout import (
    DESKTOP,
    PHONE,
    VIEWPORTS,
    assert_call_button_on_first_screen,
    assert_layout,
)
from tests.browser_support import Server, browser, log_in, screenshot, server

from playwright.sync_api import Browser, Page, expect  # isort: skip

__all__ = ["browser", "server"]  # module-scoped fixtures used below

DEMO_PHONE = "09012345678"
SATO_PHONE, SATO_NEW = "0312345678", "08098765432"
POOL = [f"0120111{n}" for n in ("222", "333", "444", "555", "666", "777", "888", "999")]


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Logins that expire in 6 s, and one live login per holder (a second replaces it)."""
    env = {"CALLAUTH_CHALLENGE_TTL": "6", "CALLAUTH_MAX_LIVE_CHALLENGES": "1"}
    server = Server(tmp_path_factory.mktemp("serve"), env=env)
    try:
        yield server
    finally:
        server.stop()


def new_page(browser: Browser) -> Page:
    return browser.new_context(viewport=PHONE).new_page()


def at_both_widths(page: Page, name: str, *, call_button: bool = False) -> None:
    """Layout facts and a screenshot at 390 px, then at 1280 px (and back to the phone)."""
    for width, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        assert_layout(page)
        if call_button:
            assert_call_button_on_first_screen(page)
            assert page.locator("#call-qr").is_visible() is (viewport is DESKTOP)
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size(PHONE)


def display(number: str) -> str:
    return f"{number[:4]}-{number[4:7]}-{number[7:]}"  # 0120-111-222


def log_out(page: Page) -> None:
    """End the login (its challenge too), so the next test's login is the phone's only one."""
    page.click("button:has-text('ログアウト')")
    page.wait_for_url(re.compile(r"/login"))
    page.context.close()


def dial(page: Page, server: Server, phone: str, number: str) -> str:
    """``phone`` calls ``number``, keying the page's code when it shows one."""
    code = page.inner_text("#code") if page.locator("#code-box").is_visible() else ""
    return server.call(phone, number, *(["--dtmf", code] if code else [])).stdout.strip()


def test_login_page_fits_a_phone_and_a_desktop(server: Server, browser: Browser) -> None:
    page = new_page(browser)
    page.goto(f"http://{server.http}/login")
    assert page.locator(".site-name").inner_text() == "契約者さま専用ページ"
    at_both_widths(page, "login")
    page.context.close()


def test_the_number_is_a_big_button_on_the_first_screen(server: Server, browser: Browser) -> None:
    page = new_page(browser)
    log_in(page, server)
    assert page.locator("#auth-number").is_visible()
    assert page.locator("#hint").is_hidden() and page.locator("#check-box").is_hidden()
    body = page.inner_text("body")
    assert "完了しています" not in body and "ご本人確認ができました" not in body
    assert "通話料はかかりません" in body
    at_both_widths(page, "verify-pending", call_button=True)
    assert page.locator("#call-qr svg path").count() > 0  # drawn inline, no image request
    for width, height in ((360, 640), (430, 932)):  # the narrowest and widest common phones
        page.set_viewport_size({"width": width, "height": height})
        assert_layout(page)
        assert_call_button_on_first_screen(page)
    log_out(page)


def test_each_tied_call_replaces_the_message(server: Server, browser: Browser) -> None:
    page = new_page(browser)
    number = log_in(page, server)
    assert server.call(DEMO_PHONE, number, "--presentation", "prohib").stdout.strip() == "withheld"
    hint = page.locator("#hint")
    expect(hint).to_contain_text("186", timeout=3000)
    at_both_widths(page, "verify-withheld", call_button=True)
    other = next(n for n in POOL if n != number)  # a number of the pool not on this page
    assert server.call(DEMO_PHONE, other).stdout.strip() == "not_matched"
    expect(hint).to_contain_text("別の番号", timeout=3000)
    assert "186" not in hint.inner_text()  # the withheld message is gone, not stacked
    at_both_widths(page, "verify-wrong-number", call_button=True)
    assert dial(page, server, DEMO_PHONE, number) == "verified"
    page.wait_for_url(re.compile(r"/mypage$"), timeout=3000)
    page.context.close()


def test_a_call_from_a_stranger_changes_nothing_then_the_page_says_what_to_check(
    server: Server, browser: Browser
) -> None:
    page = new_page(browser)
    page.clock.install()
    number = log_in(page, server)
    assert server.call("08011112222", number).stdout.strip() == "not_matched"
    page.wait_for_timeout(300)
    assert page.locator("#hint").is_hidden()  # another phone's call is not this page's
    assert page.locator("#check-box").is_hidden()
    page.clock.fast_forward(31_000)
    check = page.locator("#check-box")
    check.wait_for(state="visible", timeout=2000)
    text = check.inner_text()
    assert "5678" in text and "186" in text and display(number) in text
    at_both_widths(page, "verify-wrong-phone", call_button=True)
    log_out(page)


def test_expired_number_is_struck_out_with_one_button(short: Server, browser: Browser) -> None:
    page = new_page(browser)
    log_in(page, short)
    expired = page.locator("#expired-box")
    expired.wait_for(state="visible", timeout=15_000)
    assert page.locator("a[href^='tel:']").is_hidden()
    assert page.locator("#dead-number").is_visible()
    assert page.locator("#dead-number").evaluate("e => e.closest('a') === null")
    assert "有効時間（6秒）" in expired.inner_text()
    assert expired.locator("button, .button").count() == 1
    at_both_widths(page, "verify-expired")
    page.reload()  # the page loaded after the end says the same
    assert page.locator("#dead-number").is_visible() and page.locator("#call-box").is_hidden()
    page.context.close()


def test_replaced_login_says_why_with_one_button(short: Server, browser: Browser) -> None:
    first, second = new_page(browser), new_page(browser)
    log_in(first, short)
    log_in(second, short)
    notice = first.locator("#ended-notice")
    notice.wait_for(state="visible", timeout=3000)
    assert "新しいログイン" in notice.inner_text()
    assert first.locator("#dead-number").is_visible()
    assert first.locator("a[href^='tel:']").is_hidden()
    assert first.locator("#ended-box .button").count() == 1
    at_both_widths(first, "verify-replaced")
    for page in (first, second):
        page.context.close()


def test_my_page_and_every_change_screen_fit(server: Server, browser: Browser) -> None:
    page = new_page(browser)
    number = log_in(page, server, "sato", "sato1234")
    assert dial(page, server, SATO_PHONE, number) == "verified"
    page.wait_for_url(re.compile(r"/mypage$"), timeout=3000)
    at_both_widths(page, "mypage")
    page.click("a[aria-label='SP-2026-000456 の変更']")
    at_both_widths(page, "change-contract")
    page.click("#party-insured >> text=変更する")
    at_both_widths(page, "change-form")
    page.fill("input[name=phone]", "０８０−９８７６−５４３２")  # U+2212, as IMEs type it
    page.click("button:has-text('次へ')")
    page.wait_for_url(re.compile(r"/confirm$"))
    at_both_widths(page, "change-confirm")
    page.fill("input[name=password]", "sato1234")
    page.click("button:has-text('この内容で保険契約の変更(異動)を申し込む')")
    page.wait_for_url(re.compile(r"/call$"))
    at_both_widths(page, "change-call", call_button=True)
    auth_number = re.sub(r"\D", "", page.get_attribute("#auth-number", "href") or "")
    assert dial(page, server, SATO_PHONE, auth_number) == "not_matched"  # the old phone
    expect(page.locator("#hint")).to_contain_text("これまでの電話番号", timeout=3000)
    at_both_widths(page, "change-call-old-phone", call_button=True)
    assert dial(page, server, SATO_NEW, auth_number) == "verified"
    page.wait_for_url(re.compile(r"/done$"), timeout=3000)
    at_both_widths(page, "change-done")
    page.context.close()
