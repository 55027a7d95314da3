"""The whole flow as a new user runs it: `callauth serve --demo`, a real Chromium on the
login page, `callauth call` from the registered phone, and the open page moving on."""

from __future__ import annotations

import re

from tests.browser_support import Server, browser, log_in, server

from playwright.sync_api import Browser  # isort: skip

__all__ = ["browser", "server"]  # module-scoped fixtures used below


def test_demo_credentials_are_printed(server: Server) -> None:
    assert re.search(r"demo\s*/\s*demo1234", server.output())


def test_open_verify_page_moves_to_mypage_after_the_call(server: Server, browser: Browser) -> None:
    page = browser.new_page()
    auth_number = log_in(page, server)
    assert "5678" in page.inner_text("body")  # the last 4 digits of the phone to call from
    assert "186" in page.inner_text("body")  # how to show caller ID
    result = server.call("09012345678", auth_number)
    assert (result.returncode, result.stdout.strip()) == (0, "verified"), result.stderr
    page.wait_for_url(re.compile(r"/mypage$"), timeout=1000)
    body = page.inner_text("body")
    assert "ご契約一覧" in body and "お客様情報" in body
    page.close()


def test_withheld_call_leaves_the_page_waiting_with_guidance(
    server: Server, browser: Browser
) -> None:
    page = browser.new_page()
    auth_number = log_in(page, server)
    result = server.call("09012345678", auth_number, "--presentation", "prohib")
    assert (result.returncode, result.stdout.strip()) == (1, "withheld")
    hint = page.locator("#hint")
    hint.wait_for(state="visible", timeout=2000)
    assert "186" in hint.inner_text()
    assert page.url.endswith("/verify")
    page.wait_for_timeout(300)
    assert page.url.endswith("/verify")
    page.close()


def test_polling_fallback_moves_on_without_eventsource(server: Server, browser: Browser) -> None:
    context = browser.new_context()
    context.add_init_script("delete window.EventSource;")
    page = context.new_page()
    auth_number = log_in(page, server)
    assert server.call("+819012345678", auth_number).stdout.strip() == "verified"
    page.wait_for_url(re.compile(r"/mypage$"), timeout=3000)
    context.close()
