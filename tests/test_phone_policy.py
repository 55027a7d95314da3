"""The number policy as tables of cases."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from callauth.ivr import phone_policy

SAME_MOBILE = [
    "09012345678",
    "090-1234-5678",
    "090 1234 5678",
    "(090)1234-5678",
    "+819012345678",
    "+81 90-1234-5678",
    "819012345678",
    "0081 90-1234-5678",
    "0081-90-1234-5678",
    "010 81 90 1234 5678",
    "０９０－１２３４－５６７８",
    "＋８１９０１２３４５６７８",
    " 09012345678 ",
]


@pytest.mark.parametrize("text", SAME_MOBILE)
def test_every_form_of_one_mobile_normalises_to_e164(text: str) -> None:
    assert phone_policy.normalize(text) == "+819012345678"


KINDS = [
    ("09012345678", "mobile", True),
    ("08012345678", "mobile", True),
    ("07012345678", "mobile", True),
    ("0312345678", "fixed_line", True),  # Tokyo
    ("0661234567", "fixed_line", True),  # Osaka
    ("05012345678", "voip", False),
    ("0120111222", "toll_free", False),
    ("08001234567", "toll_free", False),
    ("0570123456", "shared_cost", False),
    ("02012345678", "m2m", False),
    ("0990123456", "premium", False),
    ("+12025550123", "foreign", False),
    ("+442079460000", "foreign", False),
    ("0180123456", "invalid", False),
    ("0901234567", "invalid", False),  # one digit short
    ("090123456789", "invalid", False),  # one digit long
    ("abc", "invalid", False),
    ("090-1234-567a", "invalid", False),
    ("", "invalid", False),
    ("   ", "invalid", False),
]


@pytest.mark.parametrize("text, kind, registrable", KINDS)
def test_kind_and_registrability(text: str, kind: str, registrable: bool) -> None:
    check = phone_policy.check(text)
    assert (check.kind, check.registrable) == (kind, registrable)
    assert check.message  # every answer explains itself to the person
    assert (check.e164 is None) == (kind == "invalid")


def test_refusals_name_the_kind_of_number() -> None:
    assert "050" in phone_policy.check("05012345678").message
    assert "0570" in phone_policy.check("0570123456").message
    assert "海外" in phone_policy.check("+12025550123").message


#: The notice's own examples: which numbers it accepts and which it refuses, and the words
#: (naming the kind) the person is told.
NOTICE_EXAMPLES = [
    ("090-1234-5678", "mobile", True, "携帯電話"),
    ("080-1234-5678", "mobile", True, "携帯電話"),
    ("070-1234-5678", "mobile", True, "携帯電話"),
    ("03-1234-5678", "fixed_line", True, "固定電話"),  # Tokyo
    ("06-6123-4567", "fixed_line", True, "固定電話"),  # Osaka
    ("050-1234-5678", "voip", False, "050から始まるIP電話"),
    ("0120-111-222", "toll_free", False, "0120・0800から始まるフリーダイヤル"),
    ("0800-123-4567", "toll_free", False, "0120・0800から始まるフリーダイヤル"),
    ("0570-123-456", "shared_cost", False, "0570から始まるナビダイヤル"),
    ("020-1234-5678", "m2m", False, "020から始まる番号（データ通信"),
    ("0990-123-456", "premium", False, "0990から始まる情報料"),
    ("+1 202-555-0123", "foreign", False, "海外の電話番号"),
    ("0180-123-456", "invalid", False, "0180から始まるテレドーム"),
    ("060-123-4567", "personal", False, "パーソナル番号"),
]


@pytest.mark.parametrize("text, kind, registrable, words", NOTICE_EXAMPLES)
def test_notice_examples_get_the_right_answer_and_message(
    text: str, kind: str, registrable: bool, words: str
) -> None:
    check = phone_policy.check(text)
    assert (check.kind, check.registrable) == (kind, registrable)
    assert words in check.message
    assert ("ご利用いただけません" in check.message) is not registrable


#: Typing as people do: full-width digits, every dash and space, parentheses, +81 forms.
EDGE_CASES = [
    ("０９０１２３４５６７８", "+819012345678", "mobile"),
    ("０９０－１２３４－５６７８", "+819012345678", "mobile"),
    ("０９０　１２３４　５６７８", "+819012345678", "mobile"),  # full-width spaces
    ("090ー1234ー5678", "+819012345678", "mobile"),  # katakana long vowel mark
    ("090‐1234‐5678", "+819012345678", "mobile"),  # U+2010 hyphen
    ("090–1234–5678", "+819012345678", "mobile"),  # en dash
    ("090.1234.5678", "+819012345678", "mobile"),
    ("090\t1234\t5678", "+819012345678", "mobile"),
    ("（０９０）１２３４－５６７８", "+819012345678", "mobile"),
    ("+81 (0)90-1234-5678", "+819012345678", "mobile"),
    ("+81-80-1234-5678", "+818012345678", "mobile"),
    ("８１７０１２３４５６７８", "+817012345678", "mobile"),
    ("060-1234-5678", "+816012345678", "mobile"),  # 060 as phonenumbers now knows it
    ("(03)1234-5678", "+81312345678", "fixed_line"),
    ("03(1234)5678", "+81312345678", "fixed_line"),
    ("+81-3-1234-5678", "+81312345678", "fixed_line"),
    ("+810312345678", "+81312345678", "fixed_line"),  # a stray trunk 0 after +81
    ("0081-6-6123-4567", "+81661234567", "fixed_line"),
    ("０６－６１２３－４５６７", "+81661234567", "fixed_line"),
    ("0422-12-3456", "+81422123456", "fixed_line"),  # a 4-digit area code
    ("0466-12-3456", "+81466123456", "fixed_line"),
    ("011-234-5678", "+81112345678", "fixed_line"),  # Sapporo
    ("011-123-4567", None, "invalid"),  # no exchange starts with 1
    ("０５０１２３４５６７８", "+815012345678", "voip"),
    ("+81 50 1234 5678", "+815012345678", "voip"),
    ("０１２０－１１１－２２２", "+81120111222", "toll_free"),
    ("+81 120 111 222", "+81120111222", "toll_free"),
    ("0570-000-123", "+81570000123", "shared_cost"),
    ("010-1-202-555-0123", "+12025550123", "foreign"),
    ("001-1-202-555-0123", "+12025550123", "foreign"),  # KDDI's 001 international prefix
    ("+82 2-312-3456", "+8223123456", "foreign"),
    ("09012345678901", None, "invalid"),
    ("090-1234", None, "invalid"),
    ("0", None, "invalid"),
    ("0000000000", None, "invalid"),
    ("abcdefghijk", None, "invalid"),
    ("０９０ー１２３４ーＡＢＣＤ", None, "invalid"),
    ("090-1234-5678 内線12", None, "invalid"),
    ("tel:09012345678", None, "invalid"),
    ("+", None, "invalid"),
    ("--", None, "invalid"),
    ("090--1234--5678", "+819012345678", "mobile"),
    ("09012345678\n", "+819012345678", "mobile"),
]


@pytest.mark.parametrize("text, e164, kind", EDGE_CASES)
def test_edge_cases_parse_and_classify(text: str, e164: str | None, kind: str) -> None:
    check = phone_policy.check(text)
    assert (check.e164, check.kind) == (e164, kind)
    assert check.registrable is (kind in ("mobile", "fixed_line"))
    assert check.message


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "入力してください"),
        ("  －  ", "入力してください"),
        ("090-1234-567a", "数字で入力"),
        ("でんわ", "数字で入力"),
        ("090-1234-56", "桁数が足りません"),
        ("03-1234-567", "桁数が足りません"),
        ("090-1234-56789", "桁数が多すぎます"),
        ("+81 90 1234 56789", "桁数が多すぎます"),
        ("12345", "市外局番から"),
    ],
)
def test_invalid_input_is_told_what_is_wrong(text: str, words: str) -> None:
    check = phone_policy.check(text)
    assert (check.kind, check.registrable, check.e164) == ("invalid", False, None)
    assert words in check.message


def test_a_kind_allowed_by_configuration_is_not_told_it_is_refused() -> None:
    check = phone_policy.check("050-1234-5678", frozenset({"voip", "mobile"}))
    assert check.registrable and "ご利用いただけません" not in check.message


def test_a_kind_taken_off_by_configuration_is_named() -> None:
    assert "携帯電話" in phone_policy.check("09012345678", frozenset({"fixed_line"})).message
    assert "固定電話" in phone_policy.check("0312345678", frozenset({"mobile"})).message


def test_allowed_kinds_are_configuration() -> None:
    assert phone_policy.check("05012345678", frozenset({"voip"})).registrable
    assert not phone_policy.check("09012345678", frozenset({"fixed_line"})).registrable


def test_mask_keeps_only_the_last_four_digits() -> None:
    assert phone_policy.mask("+819012345678") == "***5678"
    assert "1234" not in phone_policy.mask("+819012345678")
    assert phone_policy.mask(None) == "(none)"
    assert phone_policy.mask("12") == "***"


def test_domestic_and_display_forms() -> None:
    assert phone_policy.domestic("+81120111222") == "0120111222"
    assert phone_policy.display("+819012345678") == "090-1234-5678"


def test_the_domestic_fast_path_parses_exactly_as_phonenumbers_does() -> None:
    rng = random.Random(81)
    for _ in range(20_000):
        length = rng.choice((10, 11))
        digits = "0" + "".join(rng.choice("0123456789") for _ in range(length - 1))
        try:
            expected = phonenumbers.parse(
                "+" + digits[3:] if digits.startswith("010") else digits, "JP"
            )
        except phonenumbers.NumberParseException:
            expected = None
        if digits.startswith("00"):
            continue  # 00… is rewritten to +… before parsing, as before
        assert phone_policy._parse(digits) == expected, digits


#: Every separator IMEs and copy-paste put between digits (issue 10), one test each.
SEPARATORS = {
    "U+2010 HYPHEN": "\u2010",
    "U+2011 NON-BREAKING HYPHEN": "\u2011",
    "U+2012 FIGURE DASH": "\u2012",
    "U+2013 EN DASH": "\u2013",
    "U+2014 EM DASH": "\u2014",
    "U+2015 HORIZONTAL BAR": "\u2015",
    "U+2212 MINUS SIGN": "\u2212",
    "U+30FC KATAKANA PROLONGED SOUND MARK": "\u30fc",
    "U+FF0D FULLWIDTH HYPHEN-MINUS": "\uff0d",
    "U+FF70 HALFWIDTH PROLONGED SOUND MARK": "\uff70",
    "U+002D HYPHEN-MINUS": "-",
    "U+0020 SPACE": " ",
    "U+3000 IDEOGRAPHIC SPACE": "\u3000",
}


@pytest.mark.parametrize("separator", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_every_dash_and_space_form_separates_digits(separator: str) -> None:
    for digits in ("090{0}1234{0}5678", "０９０{0}１２３４{0}５６７８"):
        check = phone_policy.check(digits.format(separator))
        assert (check.registrable, check.e164) == (True, "+819012345678"), repr(separator)


@pytest.mark.parametrize(
    "text",
    [
        "０９０−１２３４−５６７８",
        "（090）1234-5678",
        "(090) 1234 5678",
        "（０３）１２３４−５６７８",
    ],
)
def test_numbers_as_japanese_users_type_them_are_registrable(text: str) -> None:
    assert phone_policy.check(text).registrable


def test_full_width_digits_are_digits() -> None:
    assert phone_policy.normalize("０３１２３４５６７８") == "+81312345678"


@pytest.mark.parametrize("text", ["9" * 30, "1" * 30, "0" + "9" * 29])
def test_far_too_long_input_is_an_invalid_number_with_a_message(text: str) -> None:
    check = phone_policy.check(text)
    assert (check.registrable, check.kind, check.e164) == (False, "invalid", None)
    assert check.message
