"""The mail texts: Japan time, masked numbers, the call centre, nothing else personal."""

from __future__ import annotations

import datetime
import re

import pytest

from callauth.ivr.notices import (
    Contact,
    email_confirmation,
    jst_time,
    login_notice,
    mask_number,
    phone_changed_notice,
)

BRAND = "みらい少額短期保険"
CONTACT = Contact("みらい少額短期保険 お客さまコールセンター", "0120-000-000", "平日 9:00〜17:00")
#: 2027-01-15 08:30 UTC = 17:30 JST, a Friday.
AT = int(datetime.datetime(2027, 1, 15, 8, 30, tzinfo=datetime.UTC).timestamp())


@pytest.mark.parametrize(
    ("e164", "shown"),
    [("+819012345678", "***-****-5678"), ("+81312345678", "***-****-5678"), (None, "（登録なし）")],
)
def test_a_mail_shows_only_the_last_four_digits(e164: str | None, shown: str) -> None:
    assert mask_number(e164) == shown


def test_times_are_japan_time_with_the_weekday() -> None:
    assert jst_time(AT) == "2027年1月15日（金）17:30"
    assert jst_time(AT + 7 * 3600) == "2027年1月16日（土）00:30"  # the JST date, not UTC's


def test_the_login_notice_says_when_from_which_phone_and_whom_to_call() -> None:
    subject, body = login_notice(BRAND, AT, "***-****-5678", CONTACT)
    assert subject == "【みらい少額短期保険】ログインがありました"
    assert "ログイン日時：2027年1月15日（金）17:30（日本時間）" in body
    assert "***-****-5678" in body
    assert "お心当たりがない場合" in body and "パスワードの変更" in body
    assert CONTACT.name in body and CONTACT.phone in body and CONTACT.hours in body
    assert "http" not in body  # a security notice carries no link to click


def test_the_phone_change_notice_shows_old_and_new_masked() -> None:
    subject, body = phone_changed_notice(BRAND, AT, "***-****-5678", "***-****-5432", CONTACT)
    assert "電話番号が変更されました" in subject
    assert "変更前の電話番号：***-****-5678" in body and "変更後の電話番号：***-****-5432" in body
    assert "2027年1月15日（金）17:30" in body and CONTACT.phone in body
    assert not re.search(r"\d{5,}", body.replace(CONTACT.phone, ""))  # no full number


def test_the_confirmation_mail_carries_the_code_its_link_and_expiry() -> None:
    link = "https://www.example.jp/mypage/email/verify?code=042517"
    subject, body = email_confirmation(BRAND, "042517", link, 30, CONTACT)
    assert "確認コード" in subject
    assert "確認コード：042517" in body and link in body and "30分" in body
    assert "破棄してください" in body
