"""How a call ends, once its outcome is known: one policy for FastAGI and classic AGI.

Pure: the FastAGI handler (``ivr.agi_handlers``) and the classic script
(``ivr.agi_script``) each carry out the :class:`Ending` this returns on their own channel.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from callauth.ivr.dialplan import NORMAL_CLEARING, REJECT_CAUSE, UNAVAILABLE_CAUSE, Outcome


class CallMode(enum.StrEnum):
    #: Never answer: hang the ringing call up with a cause (free for the caller).
    REJECT = "reject"
    #: Answer, play the outcome's prompt, hang up.
    ANNOUNCE = "announce"


class HangupBy(enum.StrEnum):
    CALLAUTH = "callauth"
    #: In reject mode, set the result and hand the ringing call back (e.g. to PJSIPHangup).
    DIALPLAN = "dialplan"


#: The prompt played for each outcome on an answered call (sound files under
#: ``sounds/<lang>/callauth/``). ``not_matched`` never says whether the number is known.
PROMPTS: dict[Outcome, str] = {
    Outcome.VERIFIED: "callauth/verified",
    Outcome.WITHHELD: "callauth/withheld",
    Outcome.UNAVAILABLE: "callauth/unavailable",
    Outcome.NOT_MATCHED: "callauth/not_matched",
    Outcome.EXPIRED: "callauth/expired",
    Outcome.AMBIGUOUS: "callauth/ambiguous",
    Outcome.THROTTLED: "callauth/throttled",
    Outcome.UNTRUSTED: "callauth/untrusted",
    Outcome.ERROR: "callauth/error",
}


def hangup_cause(outcome: Outcome) -> int:
    """The cause every call callauth ends carries: 16 Normal Clearing once verified, 34
    when it could not decide (error), else 21 Call Rejected; in reject mode (the ringing
    call: SIP 603 / 503 / 403) and on an answered call alike (announce mode, a keypad code),
    so the ``h`` extension, AMI's Hangup event and the call log always name one. AGI
    ``HANGUP`` would set none (cause 0)."""
    if outcome is Outcome.VERIFIED:
        return NORMAL_CLEARING
    return UNAVAILABLE_CAUSE if outcome is Outcome.ERROR else REJECT_CAUSE


@dataclass(frozen=True)
class Ending:
    answer: bool  # answer first (announce mode on a call not yet answered)
    prompt: str | None  # play this, then hang up
    cause: int | None  # ``EXEC Hangup <cause>``; None: hand the call back to the dialplan


def ending_for(
    outcome: Outcome, mode: CallMode, *, answered: bool, hangup_by: HangupBy = HangupBy.CALLAUTH
) -> Ending:
    """An answered call (a keypad code was asked) or announce mode hears its prompt; reject
    mode hangs the ringing call up, unless the dialplan is to do it."""
    if answered or mode is CallMode.ANNOUNCE:
        return Ending(not answered, PROMPTS[outcome], hangup_cause(outcome))
    if hangup_by is HangupBy.DIALPLAN:
        return Ending(False, None, None)
    return Ending(False, None, hangup_cause(outcome))
