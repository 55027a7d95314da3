"""Whether a FastAGI call came through a path that may verify a login.

Three facts, all of which must hold: the connection comes from an allowed PBX address;
when ``agi_secret`` is configured, the dialplan passed it as the script's first argument
(``AGI(agi://…/auth,${CALLAUTH_AGI_SECRET})``, which Asterisk sends as ``agi_arg_1``); and
the call is in a context only the carrier trunk reaches. The peer address alone does not
do: every local account on the PBX host connects from 127.0.0.1 and writes its own header
block, ``agi_context`` included. The secret lives in a root-readable include file of the
dialplan, so only Asterisk can send it.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from callauth.ivr.config import Telephony

#: The header line that carries the first argument of ``AGI(url,ARG1,...)``.
SECRET_ARG = "agi_arg_1"


def secret_matches(sent: str | None, expected: str) -> bool:
    """Constant-time comparison, so response timing tells nothing of the secret."""
    if sent is None:
        return False
    return hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))


def assess(peer: str, context: str, env: Mapping[str, str], config: Telephony) -> tuple[bool, str]:
    """(trusted, reason): the reason is a call-log word, never the secret itself."""
    if peer not in config.allowed_peers:
        return False, "peer_not_allowed"
    if config.agi_secret and not secret_matches(env.get(SECRET_ARG), config.agi_secret):
        return False, "bad_agi_secret"
    if context not in config.trusted_contexts:
        return False, "untrusted_context"
    return True, "trusted"
