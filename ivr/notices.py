"""The mails callauth sends to holders, in Japanese: (subject, body) from plain values.

Pure: no I/O, no configuration object. A mail carries no personal data beyond the last
4 digits of a phone number: no name, no login ID, no policy number, and (except the
address confirmation, which the holder has just asked for) no link, so that a mail
pretending to be ours is easy to tell apart.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from callauth.ivr import phone_policy
from callauth.ivr.jst import JST

_WEEKDAYS = "月火水木金土日"


@dataclass(frozen=True)
class Contact:
    """Where a holder who did not do it should turn (the call centre)."""

    name: str
    phone: str
    hours: str


def mask_number(e164: str | None) -> str:
    """A phone number as a mail shows it: ``***-****-5678``."""
    tail = phone_policy.last_digits(e164)
    return f"***-****-{tail}" if tail else "（登録なし）"


def jst_time(at_epoch: int) -> str:
    """``2027年1月15日（金）17:30`` in Japan time."""
    at = datetime.datetime.fromtimestamp(at_epoch, JST)
    return f"{at.year}年{at.month}月{at.day}日（{_WEEKDAYS[at.weekday()]}）{at:%H:%M}"


def _footer(brand: str) -> str:
    return (
        "※このメールは送信専用のアドレスからお送りしています。ご返信いただいても"
        "お答えできませんので、ご了承ください。\n"
        f"※{brand}からのお知らせメールに、お客さまのお名前・ログインID・パスワード・"
        "証券番号を記載することはありません。これらを尋ねるメールにはご注意ください。\n"
        f"\n{brand}\n"
    )


def _not_you(contact: Contact, what: str) -> str:
    return (
        f"お心当たりがない場合は、{what}\n"
        "お手数ですが、すぐに下記までお電話ください。パスワードの変更など、"
        "必要なお手続きをご案内します。\n"
        f"\n　{contact.name}\n　電話番号：{contact.phone}\n　受付時間：{contact.hours}\n"
    )


def login_notice(brand: str, at_epoch: int, masked_phone: str, contact: Contact) -> tuple[str, str]:
    """「ログインがありました」: when, and from which phone the call came."""
    subject = f"【{brand}】ログインがありました"
    body = (
        f"いつも{brand}をご利用いただき、ありがとうございます。\n\n"
        "契約者さま専用ページに、次のとおりログインがありました。\n\n"
        f"　ログイン日時：{jst_time(at_epoch)}（日本時間）\n"
        f"　ご本人確認のお電話：{masked_phone} から\n\n"
        "お客さまご自身によるログインでしたら、このメールへのご対応は不要です。\n\n"
        + _not_you(
            contact,
            "第三者がお客さまのログインIDとパスワードを使ってログインした可能性があります。",
        )
        + "\n"
        + _footer(brand)
    )
    return subject, body


def phone_changed_notice(
    brand: str, at_epoch: int, old_masked: str, new_masked: str, contact: Contact
) -> tuple[str, str]:
    """The number used for the call was changed (異動 completed)."""
    subject = f"【{brand}】ご登録の電話番号が変更されました"
    body = (
        f"いつも{brand}をご利用いただき、ありがとうございます。\n\n"
        "契約者さま専用ページで、ご本人確認に使う電話番号の変更が完了しました。\n\n"
        f"　変更日時：{jst_time(at_epoch)}（日本時間）\n"
        f"　変更前の電話番号：{old_masked}\n"
        f"　変更後の電話番号：{new_masked}\n\n"
        "次回のログインからは、変更後の電話番号からお電話ください。\n\n"
        + _not_you(contact, "第三者がお客さまの電話番号を変更した可能性があります。")
        + "\n"
        + _footer(brand)
    )
    return subject, body


def email_confirmation(
    brand: str, code: str, link: str, minutes: int, contact: Contact
) -> tuple[str, str]:
    """The code that proves the holder reads this address (and a link that fills it in)."""
    subject = f"【{brand}】メールアドレスのご確認（確認コード）"
    body = (
        f"いつも{brand}をご利用いただき、ありがとうございます。\n\n"
        "契約者さま専用ページで、このメールアドレスの登録のお手続きがありました。\n"
        "お手続きの画面に、次の確認コードを入力してください。\n\n"
        f"　確認コード：{code}\n\n"
        "次のリンクを開くと、確認コードが入力された画面が表示されます"
        "（契約者さま専用ページへのログインが必要です）。\n"
        f"{link}\n\n"
        f"確認コードの有効期限は、このメールをお送りしてから{minutes}分です。"
        "確認コードを入力するまで、メールアドレスは登録されません。\n\n"
        "お心当たりがない場合は、このメールを破棄してください。"
        "このメールアドレスが登録されることはありません。"
        f"ご不明な点は、{contact.name}（{contact.phone}、{contact.hours}）まで"
        "お問い合わせください。\n\n" + _footer(brand)
    )
    return subject, body
