"""Names shared with the Asterisk dialplan.

`asterisk-conf/` uses exactly these strings; change them together or not at all.
"""

from __future__ import annotations

import enum

#: FastAGI script name: the path of ``agi://HOST:4573/auth``.
AUTH_SCRIPT = "auth"

#: Channel variable the service sets to one :class:`Outcome` word before hanging up.
RESULT_VARIABLE = "CALLAUTH_RESULT"

#: Default FastAGI port (Asterisk's own default for agi://).
FASTAGI_PORT = 4573


class Outcome(enum.StrEnum):
    """What a call achieved, as the dialplan sees it in ``CALLAUTH_RESULT``."""

    VERIFIED = "verified"
    WITHHELD = "withheld"
    UNAVAILABLE = "unavailable"
    NOT_MATCHED = "not_matched"
    EXPIRED = "expired"
    AMBIGUOUS = "ambiguous"
    THROTTLED = "throttled"
    UNTRUSTED = "untrusted"
    ERROR = "error"


#: Q.850 cause used in reject mode: 21 "Call Rejected" reaches the caller without
#: the call ever being answered, so it costs the caller nothing.
REJECT_CAUSE = 21
#: Q.850 cause 16 "Normal Clearing" after a verified call.
NORMAL_CLEARING = 16
#: Q.850 cause 34 "No Circuit/Channel Available" when callauth could not decide (error):
#: SIP 503, "try later", as the dialplan gives when callauth is unreachable.
UNAVAILABLE_CAUSE = 34
