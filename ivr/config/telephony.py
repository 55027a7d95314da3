"""The telephony sections: what the FastAGI side, the decision and the number pool read
(``Telephony``), and the AMI client's connection (``Ami``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from callauth.ivr import phone_policy
from callauth.ivr.config.values import Address, ConfigError, member, require_positive
from callauth.ivr.ending import CallMode, HangupBy
from callauth.ivr.number_pool import CodeMode

_SECRET_SHAPE = re.compile(r"[A-Za-z0-9._-]{16,128}")


@dataclass(frozen=True)
class Telephony:
    #: Where the FastAGI server listens.
    agi: Address = Address("127.0.0.1", 4573)
    #: The pool of authentication numbers (DIDs) routed to the FastAGI script, domestic digits.
    auth_numbers: tuple[str, ...] = (
        "0120111222", "0120111333", "0120111444", "0120111555",
        "0120111666", "0120111777", "0120111888", "0120111999",
    )  # fmt: skip
    challenge_ttl: int = 120
    #: A number shown to a phone is not handed to it again without a keypad code for this
    #: long (seconds): a redial from the call history must never complete another login.
    number_cooldown: int = 86400
    #: Live login challenges one holder may keep; a newer login ends the oldest.
    max_live_challenges: int = 2
    #: How often one login may ask for a new number (/verify/reissue) before a new login.
    reissue_limit: int = 3
    #: Keypad codes: fallback (when the number alone cannot name the login), always, never.
    code_mode: CodeMode = CodeMode.FALLBACK
    #: Tries the caller gets to key the code, and seconds Asterisk waits for each digit.
    code_tries: int = 3
    code_timeout: float = 5.0
    #: reject: never answer, hang up with cause 21 (free for the caller); announce: play a prompt.
    call_mode: CallMode = CallMode.REJECT
    #: Who ends an unanswered (reject mode) call: callauth (Hangup 16/21/34 over AGI) or
    #: the dialplan after AGI() returns, e.g. with PJSIPHangup(480) for another SIP answer.
    hangup_by: HangupBy = HangupBy.CALLAUTH
    #: FastAGI peers (the PBX) allowed to verify; others get ``untrusted``.
    allowed_peers: tuple[str, ...] = ("127.0.0.1", "::1")
    #: Dialplan contexts that only the carrier trunk reaches; calls from others never verify.
    trusted_contexts: tuple[str, ...] = ("auth-in",)
    #: At most this many calls from one number in ``call_window`` seconds, then ``throttled``.
    call_limit: int = 10
    call_window: int = 60
    #: Bounds on what a FastAGI peer may do before it is dropped.
    agi_header_timeout: float = 5.0
    agi_header_max_bytes: int = 16384
    agi_command_timeout: float = 10.0
    #: No FastAGI call may last longer, however the peer trickles lines (the keypad
    #: prompt, 3 tries of 5 s, fits).
    agi_call_deadline: float = 30.0
    #: Open FastAGI connections beyond this are closed at once (and counted).
    agi_max_connections: int = 512
    #: Shared with the dialplan, which passes it as the AGI script's first argument
    #: (``agi_arg_1``); when set, a call without it is ``untrusted``. "" = not used.
    agi_secret: str = field(default="", repr=False)
    #: The number kinds (phone_policy) a holder may register and call from.
    allowed_kinds: frozenset[str] = field(default=phone_policy.DEFAULT_ALLOWED_KINDS)

    def __post_init__(self) -> None:
        # Telephony(call_mode="announce") and the loaders alike get the enum member.
        object.__setattr__(self, "call_mode", member("call_mode", CallMode, self.call_mode))
        object.__setattr__(self, "hangup_by", member("hangup_by", HangupBy, self.hangup_by))
        object.__setattr__(self, "code_mode", member("code_mode", CodeMode, self.code_mode))
        if not self.auth_numbers:
            raise ConfigError("auth_numbers: at least one authentication number is needed")
        for number in self.auth_numbers:
            if phone_policy.normalize(number) is None:
                raise ConfigError(f"auth_numbers: {number!r} is not a valid phone number")
        require_positive(self, ("challenge_ttl", "number_cooldown", "max_live_challenges",
                                "code_tries", "code_timeout", "call_limit", "call_window",
                                "agi_header_max_bytes", "agi_call_deadline",
                                "agi_max_connections"))  # fmt: skip
        if self.agi_secret and not _SECRET_SHAPE.fullmatch(self.agi_secret):
            raise ConfigError(
                "agi_secret: use 16 to 128 of A-Z a-z 0-9 - _ . (it travels as"
                " an AGI argument, where a comma or space would split it)"
            )

    @property
    def auth_numbers_e164(self) -> tuple[str, ...]:
        return tuple(phone_policy.normalize(n) or n for n in self.auth_numbers)


@dataclass(frozen=True)
class Ami:
    """The AMI client (optional: it completes the call log, verification never needs it).
    Its keys are ``ami_`` and the field name (``ami_user``); ``ami`` is the address."""

    enabled: bool = False
    address: Address = Address("127.0.0.1", 5038)
    user: str = "callauth"
    secret: str = field(default="", repr=False)
    #: Reconnect back-off after a lost or refused connection: min doubling up to max seconds.
    retry_min: float = 1.0
    retry_max: float = 60.0
    #: Wait after a refused login: wrong credentials do not fix themselves.
    login_retry: float = 300.0

    def __post_init__(self) -> None:
        if not 0 < self.retry_min <= self.retry_max or self.login_retry <= 0:
            raise ConfigError("ami_retry_min/ami_retry_max/ami_login_retry: need 0 < min <= max")
        if self.enabled and not self.secret:
            raise ConfigError("ami_secret: needed when ami_enabled is true")
