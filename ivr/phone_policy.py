"""The one place that knows what a phone number is and whether it may verify a login.

Every other module (web forms, CSV import, the IVR) calls :func:`normalize`,
:func:`classify`, :func:`registrable` and :func:`mask`. Kinds come from phonenumbers'
number type, never from prefix lists typed by hand.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

#: phonenumbers compiles its metadata's patterns through the re module's cache, which
#: holds 512; the server's other patterns push them out, and a call from a number not
#: seen before then compiled some again (one in 14 calls under load: bench/README.md).
#: Kept for good instead: the metadata is fixed, so the patterns are bounded.
phonenumbers.enable_pattern_cache()

REGION = "JP"
COUNTRY_CODE = 81

#: Kinds a holder may register by default (DESIGN: mobile or fixed line, domestic only).
DEFAULT_ALLOWED_KINDS = frozenset({"mobile", "fixed_line"})

_KIND_OF_TYPE = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.UAN: "shared_cost",  # 0570 navi dial
    PhoneNumberType.PAGER: "m2m",  # 020
    PhoneNumberType.PREMIUM_RATE: "premium",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
}

_MESSAGES = {
    "mobile": "ご登録いただける携帯電話番号です。",
    "fixed_line": "ご登録いただける固定電話番号です。",
    "voip": "050から始まるIP電話の番号は本人認証にご利用いただけません。",
    "toll_free": "0120・0800から始まるフリーダイヤルの番号は本人認証にご利用いただけません。",
    "shared_cost": "0570から始まるナビダイヤルの番号は本人認証にご利用いただけません。",
    "m2m": "020から始まる番号（データ通信・ポケットベル用）は本人認証にご利用いただけません。",
    "premium": "0990から始まる情報料代理徴収サービスの番号は本人認証にご利用いただけません。",
    "personal": "パーソナル番号（060から始まる10桁の番号）は本人認証にご利用いただけません。",
    "foreign": "海外の電話番号は本人認証にご利用いただけません。日本国内の電話番号を入力してください。",
    "invalid": "電話番号として正しくありません。市外局番から入力してください（例: 090-1234-5678）。",
    "empty": "電話番号を入力してください。",
    "letters": "電話番号は数字で入力してください（ハイフンは入れても入れなくてもかまいません）。",
    "too_short": "電話番号の桁数が足りません。市外局番から入力してください（例: 090-1234-5678）。",
    "too_long": "電話番号の桁数が多すぎます。お確かめのうえ、もう一度入力してください。",
    # phonenumbers does not know 0180 (テレドーム) at all; it is refused as invalid, but the
    # person is told why in words they recognise.
    "0180": "0180から始まるテレドームの番号は本人認証にご利用いただけません。",
}
#: The message for input far longer than any number (the JSON API answers it unparsed).
TOO_LONG = _MESSAGES["too_long"]
#: When configuration takes mobile or fixed lines off the allowed list, say which.
_NOT_ALLOWED = {
    "mobile": "携帯電話の番号は、現在本人認証にご利用いただけません。固定電話の番号を入力してください。",
    "fixed_line": "固定電話の番号は、現在本人認証にご利用いただけません。携帯電話の番号を入力してください。",
}
_ALLOWED_BY_CONFIG = "ご登録いただける電話番号です。"
#: Domestic numbers are 10 or 11 digits with the leading 0.
_DOMESTIC_LENGTHS = range(10, 12)

_DIGITS = re.compile(r"\+?\d+")
#: ASCII domestic digits: the trunk 0, then 9 or 10 digits; not 00… or 010… (international).
_DOMESTIC = re.compile(r"0(?!0|10)[0-9]{9,10}")
#: What IMEs and copy-paste put between digits: spaces (full-width ones too), hyphens and
#: dashes U+2010–2015, MINUS SIGN U+2212, the prolonged sound mark ー (and half-width ｰ),
#: the full-width hyphen, parentheses (full-width after NFKC), dots.
_SEPARATORS = re.compile("[\\s\\-\u2010-\u2015\u2212\u30fc\uff0d\uff70()\uff08\uff09.\u30fb\u00b7]")


@dataclass(frozen=True)
class NumberCheck:
    """The policy's answer about one number as a person or a trunk wrote it."""

    registrable: bool
    e164: str | None
    kind: str
    message: str


def _clean(text: str) -> str:
    """Digits with an optional leading '+', or '' if anything else is left."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))
    if _DIGITS.fullmatch(text):
        return text
    return ""


def _parse(text: str) -> phonenumbers.PhoneNumber | None:
    digits = _clean(text)
    if not digits:
        return None
    if _DOMESTIC.fullmatch(digits):
        # What phonenumbers.parse(digits, "JP") returns for these (it strips the trunk 0),
        # at a twentieth of the cost: every call's CLI comes this way.
        # tests/test_phone_policy.py checks that the two agree.
        return phonenumbers.PhoneNumber(country_code=COUNTRY_CODE, national_number=int(digits[1:]))
    if digits.startswith("010"):  # Japan's international call prefix
        digits = "+" + digits[3:]
    elif digits.startswith("00"):  # "0081…" as some trunks and people write it
        digits = "+" + digits[2:]
    try:
        return phonenumbers.parse(digits, REGION)
    except phonenumbers.NumberParseException:
        return None


@functools.lru_cache(maxsize=4096)  # every call normalises its CLI and the dialled number
def normalize(text: str) -> str | None:
    """E.164 form (``+819012345678``) of any valid number, domestic or not; None if invalid."""
    number = _parse(text)
    if number is None or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def classify(text: str) -> tuple[str, str | None]:
    """(kind, E.164 or None) of a number as typed."""
    number = _parse(text)
    if number is None or not phonenumbers.is_valid_number(number):
        return "invalid", None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if number.country_code != COUNTRY_CODE:
        return "foreign", e164
    return _KIND_OF_TYPE.get(phonenumbers.number_type(number), "invalid"), e164


def check(text: str, allowed_kinds: frozenset[str] = DEFAULT_ALLOWED_KINDS) -> NumberCheck:
    """Whether ``text`` may be registered for verification, and a Japanese message why."""
    kind, e164 = classify(text)
    if kind == "invalid":
        return NumberCheck(False, None, kind, _invalid_message(text))
    ok = kind in allowed_kinds
    if ok:
        message = _MESSAGES[kind] if kind in DEFAULT_ALLOWED_KINDS else _ALLOWED_BY_CONFIG
    else:
        message = _NOT_ALLOWED.get(kind, _MESSAGES[kind])
    return NumberCheck(ok, e164, kind, message)


def _invalid_message(text: str) -> str:
    """Why a number is not a number: empty, letters, its length, or a known dead prefix."""
    stripped = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))
    if not stripped:
        return _MESSAGES["empty"]
    digits = _clean(text)
    if not digits:
        return _MESSAGES["letters"]
    national = re.sub(r"^\+?81", "0", digits) if not digits.startswith("0") else digits
    if national.startswith("0180"):
        return _MESSAGES["0180"]
    if national.startswith("0") and not national.startswith("00"):
        if len(national) < _DOMESTIC_LENGTHS.start:
            return _MESSAGES["too_short"]
        if len(national) >= _DOMESTIC_LENGTHS.stop:
            return _MESSAGES["too_long"]
    return _MESSAGES["invalid"]


def registrable(text: str, allowed_kinds: frozenset[str] = DEFAULT_ALLOWED_KINDS) -> bool:
    return check(text, allowed_kinds).registrable


def domestic(e164: str) -> str:
    """Domestic digits as dialled in Japan (``+81312345678`` → ``0312345678``)."""
    number = phonenumbers.parse(e164, REGION)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL).replace(
        "-", ""
    )


def display(e164: str) -> str:
    """Hyphenated domestic form for people (``090-1234-5678``)."""
    number = phonenumbers.parse(e164, REGION)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def last_digits(e164: str | None, count: int = 4) -> str:
    digits = re.sub(r"\D", "", e164 or "")
    return digits[-count:] if len(digits) >= count else ""


def mask(number: str | None) -> str:
    """A number safe for logs and screens: only the last 4 digits (``***-****-5678``)."""
    if not number:
        return "(none)"
    tail = last_digits(number)
    return f"***{tail}" if tail else "***"
