"""The number policy as tables of cases."""

from __future__ import annotations

import pytest

from ivr import phone_policy

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
