"""One call, one login, in a real Chromium against `callauth serve --demo`: the keypad code
shown and keyed with `callauth call --dtmf`, and the page of another login of the same
holder told at once when one of them is verified or a newer one replaces it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser_support import Server, browser, log_in, screenshot

from playwright.sync_api import Browser, Page  # isort: skip

__all__ = ["browser"]  # module-scoped fixture used below

PHONE = "09012345678"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A demo server whose every login shows a keypad code (code_mode = always)."""
    server = Server(tmp_path_factory.mktemp("serve"), env={"CALLAUTH_CODE_MODE": "always"})
    try:
        yield server
    finally:
        server.stop()


def new_page(browser: Browser, width: int = 390) -> Page:
    return browser.new_context(viewport={"width": width, "height": 844}).new_page()


def test_the_page_shows_the_code_and_the_call_keys_it(server: Server, browser: Browser) -> None:
    page = new_page(browser)
    number = log_in(page, server)
    code = page.inner_text("#code")
    assert re.fullmatch(r"\d{4}", code)
    assert "4桁の番号を押してください" in page.inner_text("#code-box")
    screenshot(page, "verify-code-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "verify-code-1280")
    wrong = "0000" if code != "0000" else "1111"
    assert server.call(PHONE, number, "--dtmf", wrong).stdout.strip() == "not_matched"
    assert page.url.endswith("/verify")
    result = server.call(PHONE, number, "--dtmf", code)
    assert (result.returncode, result.stdout.strip()) == (0, "verified"), result.stderr
    page.wait_for_url(re.compile(r"/mypage$"), timeout=1000)
    page.context.close()


def test_the_other_page_hears_at_once_that_another_login_was_verified(
    server: Server, browser: Browser
) -> None:
    first, second = new_page(browser), new_page(browser)
    log_in(first, server)
    number = log_in(second, server)
    result = server.call(PHONE, number, "--dtmf", second.inner_text("#code"))
    assert result.stdout.strip() == "verified", result.stderr
    notice = first.locator("#ended-notice")
    notice.wait_for(state="visible", timeout=1000)  # the done-when: within 1 s
    assert "別の画面または端末でのログインが完了しました" in notice.inner_text()
    assert first.locator("#code-box").is_hidden()
    assert first.locator("#expired-box").is_hidden()
    screenshot(first, "verify-verified-elsewhere-390")
    first.set_viewport_size({"width": 1280, "height": 900})
    screenshot(first, "verify-verified-elsewhere-1280")
    second.wait_for_url(re.compile(r"/mypage$"), timeout=1000)
    for page in (first, second):
        page.context.close()


def test_a_third_login_tells_the_oldest_page(server: Server, browser: Browser) -> None:
    pages = [new_page(browser) for _ in range(3)]
    for page in pages:
        log_in(page, server)
    notice = pages[0].locator("#ended-notice")
    notice.wait_for(state="visible", timeout=1000)
    assert "新しいログインが行われた" in notice.inner_text()
    screenshot(pages[0], "verify-superseded-390")
    assert pages[1].locator("#ended-notice").is_hidden()
    for page in pages:
        page.context.close()
