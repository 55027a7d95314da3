"""The notice's change procedure in a real Chromium against `callauth serve --demo`, proven
with `callauth call --from <new number> --to <number shown>`."""

from __future__ import annotations

import re

from tests.browser_support import Server, browser, log_in, server

from playwright.sync_api import Browser, Page  # isort: skip

__all__ = ["browser", "server"]  # module-scoped fixtures used below

NEW = "08098765432"


def into_mypage(page: Page, server: Server, login_id: str, password: str, phone: str) -> None:
    auth_number = log_in(page, server, login_id, password)
    result = server.call(phone, auth_number)
    assert result.stdout.strip() == "verified", result.stderr
    page.wait_for_url(re.compile(r"/mypage$"), timeout=3000)


def test_change_the_number_as_the_notice_shows(server: Server, browser: Browser) -> None:
    page = browser.new_page()
    into_mypage(page, server, "sato", "sato1234", "0312345678")
    page.click("nav >> text=ご契約一覧")
    page.click("a[aria-label='SP-2026-000456 の変更']")
    assert "お手続きいただく必要はありません" in page.inner_text("body")
    assert "被保険者と同じ" in page.inner_text("#party-holder")
    page.click("#party-insured >> text=変更する")  # the insured is the holder
    body = page.inner_text("body")
    for label in (
        "被保険者",
        "☆氏名または名称",
        "☆氏名または名称カナ",
        "☆生年月日",
        "電話番号",
        "変更日",
    ):
        assert label in body, label
    page.fill("input[name=phone]", "０８０－９８７６－５４３２")
    page.click("button:has-text('次へ')")
    page.wait_for_url(re.compile(r"/confirm$"))
    body = page.inner_text("body")
    for label in (
        "引受保険会社",
        "幹事保険会社",
        "非幹事保険会社",
        "引受割合 50%",
        "080-9876-5432",
    ):
        assert label in body, label
    page.click("a:has-text('戻る')")
    assert page.input_value("input[name=phone]") == "080-9876-5432"
    page.click("button:has-text('次へ')")
    page.fill("input[name=password]", "sato1234")
    page.click("button:has-text('この内容で保険契約の変更(異動)を申し込む')")
    page.wait_for_url(re.compile(r"/call$"))
    assert "末尾 5432" in page.inner_text("body")
    href = page.get_attribute("a[href^='tel:']", "href")
    assert href is not None
    auth_number = re.sub(r"\D", "", href)
    assert server.call("0312345678", auth_number).stdout.strip() == "not_matched"  # old phone
    assert page.url.endswith("/call")
    result = server.call(NEW, auth_number)
    assert (result.returncode, result.stdout.strip()) == (0, "verified"), result.stderr
    page.wait_for_url(re.compile(r"/done$"), timeout=3000)
    assert "電話番号の変更が完了しました" in page.inner_text("body")
    assert "***-****-5432" in page.inner_text("body")
    page.close()
    again = browser.new_context().new_page()
    into_mypage(again, server, "sato", "sato1234", NEW)  # the new number now logs in
    assert "***-****-5432" in again.inner_text("#registered-phone")
    again.context.close()


def test_not_changeable_contract_ends_at_the_call_centre(server: Server, browser: Browser) -> None:
    page = browser.new_page()
    into_mypage(page, server, "demo", "demo1234", "09012345678")
    page.click("a[aria-label='SP-2025-004567 の変更']")
    page.click("#party-holder >> text=変更する")
    body = page.inner_text("body")
    assert "オンラインでお手続きいただけないご契約です" in body
    assert "コールセンター" in body and "0120-000-000" in body
    page.click("a:has-text('戻る')")
    page.wait_for_url(re.compile(r"/mypage/contracts/\d+$"))
    page.close()


def test_an_unusable_number_is_explained(server: Server, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"http://{server.http}/login")
    page.fill("input[name=login_id]", "takahashi")
    page.fill("input[name=password]", "takahashi1234")
    page.click("button[type=submit]")
    body = page.inner_text("body")
    assert "電話番号のご登録が必要です" in body and "050から始まるIP電話" in body
    page.click("text=ログイン画面に戻る")
    page.wait_for_url(re.compile(r"/login$"))
    page.close()
