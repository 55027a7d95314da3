"""The embeddable phone field (/static/phone-field.js) in a real Chromium on an insurer's
form served from a SECOND origin (issue 16): the API's refusal for 050 and 0120 numbers,
the display form for 090, no submit of an unusable number; a page on an origin callauth
was not configured for is refused at the preflight; and the demo form /demo/apply (its
same-insured case, without JavaScript too) under callauth's own strict CSP."""

from __future__ import annotations

import html
import re
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser_support import Server, browser, screenshot

from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize, expect  # isort: skip

__all__ = ["browser"]  # module-scoped fixture used below

VIEWPORTS: dict[str, ViewportSize] = {
    "390": {"width": 390, "height": 844},
    "1280": {"width": 1280, "height": 800},
}
#: What the API answers, as the person reads it under the field.
VOIP = "050から始まるIP電話の番号は本人認証にご利用いただけません。"
TOLL_FREE = "0120・0800から始まるフリーダイヤルの番号は本人認証にご利用いただけません。"
MOBILE = "090-1234-5678：ご登録いただける携帯電話番号です。"

_FORM = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>そよかぜ保険 お申込み</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script src="http://{callauth}/static/phone-field.js" defer></script></head>
<body><h1>お申込み</h1>
<form method="post" action="/apply">
  <label for="phone">電話番号</label>
  <p id="phone-help">本人認証に利用できる電話番号を入力してください。</p>
  <input type="tel" id="phone" name="phone" data-callauth-phone aria-describedby="phone-help">
  <button type="submit">申し込む</button>
</form></body></html>"""


class Insurer:
    """The insurer's own web site on another 127.0.0.1 port: the form and its back end."""

    def __init__(self) -> None:
        self.callauth = ""
        self.posted: list[dict[str, list[str]]] = []
        insurer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._send(_FORM.format(callauth=insurer.callauth))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                form = urllib.parse.parse_qs(body.decode())
                insurer.posted.append(form)
                self._send(f"<p id='done'>受け付けました: {html.escape(form['phone'][0])}</p>")

            def _send(self, text: str) -> None:
                data = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def insurer() -> Iterator[Insurer]:
    site = Insurer()
    try:
        yield site
    finally:
        site.stop()


@pytest.fixture(scope="module")
def stranger() -> Iterator[Insurer]:
    """A third origin, not in api_allowed_origins."""
    site = Insurer()
    try:
        yield site
    finally:
        site.stop()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, insurer: Insurer, stranger: Insurer
) -> Iterator[Server]:
    env = {"CALLAUTH_API_ALLOWED_ORIGINS": insurer.origin}
    server = Server(tmp_path_factory.mktemp("serve"), env=env)
    insurer.callauth = stranger.callauth = server.http
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORTS["390"])
    yield context.new_page()
    context.close()


def script_errors(page: Page) -> list[str]:
    """Uncaught errors in the page's scripts from now on (phone-field.js must raise none)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def message_of(page: Page, field: str = "#phone") -> str:
    ids = (page.get_attribute(field, "aria-describedby") or "").split()
    assert len(ids) == 2, ids  # the form's own hint, then the API's message
    return f"#{ids[1]}"


def type_number(page: Page, number: str, field: str = "#phone") -> None:
    page.fill(field, "")
    page.locator(field).press_sequentially(number)


def test_the_field_on_another_origin_refuses_050_and_0120_and_shows_090(
    server: Server, insurer: Insurer, page: Page
) -> None:
    errors = script_errors(page)
    page.goto(insurer.origin + "/")
    page.wait_for_function("window.CallauthPhoneField !== undefined")
    message = message_of(page)
    assert (page.get_attribute("#phone", "aria-describedby") or "").startswith("phone-help ")
    type_number(page, "05012345678")
    expect(page.locator(message)).to_have_text(VOIP)
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "phone-field-insurer-050-390")
    type_number(page, "0120-111-222")
    expect(page.locator(message)).to_have_text(TOLL_FREE)
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    type_number(page, "09012345678")
    expect(page.locator(message)).to_have_text(MOBILE)
    expect(page.locator("#phone")).not_to_have_attribute("aria-invalid", "true")
    page.locator("#phone").blur()  # done typing: the field shows the display form
    expect(page.locator("#phone")).to_have_value("090-1234-5678")
    screenshot(page, "phone-field-insurer-090-390")
    assert errors == []


def test_a_submit_with_an_unusable_number_does_not_leave_the_page(
    server: Server, insurer: Insurer, page: Page
) -> None:
    page.goto(insurer.origin + "/")
    page.wait_for_function("window.CallauthPhoneField !== undefined")
    before = len(insurer.posted)
    page.fill("#phone", "050-1234-5678")
    page.press("#phone", "Enter")  # at once: the submit itself asks the API
    expect(page.locator(message_of(page))).to_have_text(VOIP)
    page.click("button[type=submit]")  # again, with the answer known
    expect(page.locator("#phone")).to_be_focused()
    assert page.url == insurer.origin + "/"
    assert len(insurer.posted) == before
    page.fill("#phone", "0312345678")
    page.click("button[type=submit]")
    expect(page.locator("#done")).to_have_text("受け付けました: 03-1234-5678")
    assert insurer.posted[-1]["phone"] == ["03-1234-5678"]


def test_a_page_on_an_origin_not_configured_is_refused(
    server: Server, stranger: Insurer, page: Page
) -> None:
    page.goto(stranger.origin + "/")
    page.wait_for_function("window.CallauthPhoneField !== undefined")
    outcome = page.evaluate(
        """api => fetch(api, {method: "POST", headers: {"Content-Type": "application/json"},
                              body: JSON.stringify({number: "09012345678"})})
                 .then(r => "answered " + r.status, e => "refused: " + e.name)""",
        f"http://{server.http}/api/phone/validate",
    )
    assert outcome == "refused: TypeError"  # the browser got no grant at the preflight
    assert "api: preflight refused" in server.output()
    # The field stays out of the way: the insurer's server checks the number itself.
    page.fill("#phone", "050-1234-5678")
    page.click("button[type=submit]")
    expect(page.locator("#done")).to_have_text("受け付けました: 050-1234-5678")


def watch_csp(page: Page) -> list[str]:
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    return violations


def test_the_demo_form_asks_for_the_insured_phone_when_the_same_person(
    server: Server, page: Page
) -> None:
    violations, errors = watch_csp(page), script_errors(page)
    response = page.goto(f"http://{server.http}/demo/apply")
    assert response is not None and "script-src" not in response.headers.get(
        "content-security-policy", ""
    )  # the site's strict default-src 'self' holds: the script is a file of its own
    page.wait_for_function("window.CallauthPhoneField !== undefined")
    assert page.is_checked("#same-person")
    expect(page.locator("#applicant")).to_be_hidden()
    type_number(page, "050-1234-5678", "#insured_phone")
    expect(page.locator("#insured_phone-message")).to_have_text(VOIP)
    for width, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        screenshot(page, f"demo-apply-{width}")
    page.set_viewport_size(VIEWPORTS["390"])
    page.uncheck("#same-person")  # another applicant: the insured's phone is theirs
    expect(page.locator("#applicant")).to_be_visible()
    expect(page.locator("#insured_phone-message")).to_have_text("")
    expect(page.locator("#insured_phone")).not_to_have_attribute("aria-invalid", "true")
    page.fill("#insured_name", "山田 一郎")
    page.fill("#applicant_name", "山田 花子")
    type_number(page, "0120111222", "#applicant_phone")
    expect(page.locator("#applicant_phone-message")).to_have_text(TOLL_FREE)
    page.click("button[type=submit]")
    expect(page.locator("#applicant_phone")).to_be_focused()
    assert page.url.endswith("/demo/apply")
    screenshot(page, "demo-apply-applicant-390")
    type_number(page, "09012345678", "#applicant_phone")
    page.click("button[type=submit]")
    expect(page.locator("#applied-phone")).to_have_text("090-1234-5678")
    screenshot(page, "demo-applied-390")
    assert violations == []
    assert errors == []


def test_without_javascript_the_demo_form_is_checked_on_submit(
    server: Server, browser: Browser
) -> None:
    context = browser.new_context(viewport=VIEWPORTS["390"], java_script_enabled=False)
    page = context.new_page()
    page.goto(f"http://{server.http}/demo/apply")
    page.fill("#insured_name", "山田 花子")
    page.fill("#insured_phone", "0120-111-222")
    page.click("button[type=submit]")
    expect(page.locator("#insured_phone-message")).to_have_text(TOLL_FREE)
    expect(page.locator("#insured_phone")).to_have_attribute("aria-invalid", "true")
    assert re.search(r"/demo/apply$", page.url)
    screenshot(page, "demo-apply-nojs-390")
    page.fill("#insured_phone", "０９０ー１２３４ー５６７８")
    page.click("button[type=submit]")
    expect(page.locator("#applied-phone")).to_have_text("090-1234-5678")
    context.close()
