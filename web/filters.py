"""Jinja2 filters for dates and phone numbers as the pages show them."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

from callauth.ivr import phone_policy
from callauth.web.qr import tel_qr


def japanese_date(value: str | None) -> str:
    """``1980-04-01`` → ``1980年4月1日``; anything else is shown as it is."""
    try:
        day = datetime.date.fromisoformat(value or "")
    except ValueError:
        return value or ""
    return f"{day.year}年{day.month}月{day.day}日"


def masked_phone(e164: str | None) -> str:
    """Only the last 4 digits, keeping the hyphenated shape: ``***-****-5678``."""
    if not e164:
        return "未登録"
    shown = phone_policy.display(e164)
    digits = sum(c.isdigit() for c in shown)
    seen = 0

    def hide(match: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return match.group() if seen > digits - 4 else "*"

    return re.sub(r"\d", hide, shown)


def phone_display(e164: str) -> str:
    return phone_policy.display(e164)


def duration(seconds: int) -> str:
    """A time span as people say it: ``20秒``, ``2分``, ``1分30秒`` (never ``1分`` for 20 s)."""
    minutes, rest = divmod(max(0, seconds), 60)
    if not minutes:
        return f"{rest}秒"
    return f"{minutes}分{rest}秒" if rest else f"{minutes}分"


def phone_tail(e164: str | None) -> str:
    """The last 4 digits, all a page needs to name a phone (末尾4桁)."""
    return phone_policy.last_digits(e164)


FILTERS: dict[str, Callable[..., str]] = {
    "phone_tail": phone_tail,
    "japanese_date": japanese_date,
    "masked_phone": masked_phone,
    "phone_display": phone_display,
    "tel_qr": tel_qr,
    "duration": duration,
}
