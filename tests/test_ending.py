"""One ending policy for FastAGI and classic AGI: outcome, call mode, answered → ending."""

from __future__ import annotations

import pytest

from callauth.ivr.dialplan import Outcome
from callauth.ivr.ending import CallMode, Ending, HangupBy, ending_for

CASES = [
    ("reject: verified hangs up the ringing call with 16", Outcome.VERIFIED, CallMode.REJECT,
     False, HangupBy.CALLAUTH, Ending(False, None, 16)),
    ("reject: a refusal with 21", Outcome.WITHHELD, CallMode.REJECT, False, HangupBy.CALLAUTH,
     Ending(False, None, 21)),
    ("reject: an error with 34", Outcome.ERROR, CallMode.REJECT, False, HangupBy.CALLAUTH,
     Ending(False, None, 34)),
    ("reject, the dialplan ends it: no cause, the call goes back", Outcome.NOT_MATCHED,
     CallMode.REJECT, False, HangupBy.DIALPLAN, Ending(False, None, None)),
    ("announce: answer, prompt, cause", Outcome.EXPIRED, CallMode.ANNOUNCE, False,
     HangupBy.CALLAUTH, Ending(True, "callauth/expired", 21)),
    ("a call answered for its code hears its outcome in reject mode too", Outcome.VERIFIED,
     CallMode.REJECT, True, HangupBy.DIALPLAN, Ending(False, "callauth/verified", 16)),
]  # fmt: skip


@pytest.mark.parametrize(
    "outcome, mode, answered, hangup_by, ending", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_ending_table(
    outcome: Outcome, mode: CallMode, answered: bool, hangup_by: HangupBy, ending: Ending
) -> None:
    assert ending_for(outcome, mode, answered=answered, hangup_by=hangup_by) == ending


def test_every_outcome_has_a_prompt_and_a_cause() -> None:
    for outcome in Outcome:
        ending = ending_for(outcome, CallMode.ANNOUNCE, answered=False)
        assert ending.prompt == f"callauth/{outcome.value}" and ending.cause in (16, 21, 34)
