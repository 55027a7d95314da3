"""Presentation from the values real Asterisk 22 delivered (see tests/fixtures/README.md)."""

from __future__ import annotations

import pytest

from callauth.ivr.presentation import Presentation, classify

CASES = [
    # number, agi_callingpres, CALLERID(num-pres), expected, reason — rows from the fixtures
    ("09012345678", "0", "allowed_not_screened", Presentation.SHOWN, "presented"),
    ("09012345678", "3", "allowed", Presentation.SHOWN, "presented"),
    ("09012345678", "35", "prohib", Presentation.WITHHELD, "presentation_prohibited"),
    ("09012345678", "32", "prohib_not_screened", Presentation.WITHHELD, "presentation_prohibited"),
    ("unknown", "67", "allowed_not_screened", Presentation.UNAVAILABLE, "presentation_unavailable"),
    ("unknown", "67", "unavailable", Presentation.UNAVAILABLE, "presentation_unavailable"),
    ("unknown", "0", "allowed_not_screened", Presentation.UNAVAILABLE, "cli_empty"),
    ("anonymous", "0", "allowed_not_screened", Presentation.WITHHELD, "cli_anonymous"),
    ("anonymous", "35", "prohib", Presentation.WITHHELD, "presentation_prohibited"),
    ("", "0", "", Presentation.UNAVAILABLE, "cli_empty"),
    ("Anonymous", "0", "", Presentation.WITHHELD, "cli_anonymous"),
    # the octet alone decides when num-pres was not asked
    ("09012345678", "35", "", Presentation.WITHHELD, "presentation_prohibited"),
    ("09012345678", "1", "", Presentation.SHOWN, "presented"),
    # either source saying withheld wins
    ("09012345678", "0", "prohib_passed_screen", Presentation.WITHHELD, "presentation_prohibited"),
    # nothing readable about presentation: refuse rather than guess
    ("09012345678", "", "", Presentation.UNAVAILABLE, "presentation_unknown"),
    ("09012345678", "x", "garbage", Presentation.UNAVAILABLE, "presentation_unknown"),
]


@pytest.mark.parametrize("number, pres, num_pres, expected, reason", CASES)
def test_presentation_class(
    number: str, pres: str, num_pres: str, expected: Presentation, reason: str
) -> None:
    assert classify(number, pres, num_pres) == (expected, reason)
