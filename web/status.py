"""The state of a login's challenge as the waiting page sees it (JSON and SSE share it)."""

from __future__ import annotations

from typing import Any

from callauth.db.models import Challenge, ChallengeState
from callauth.ivr import phone_policy
from callauth.web.hints import ENDED_MESSAGES, HINT_MESSAGES

#: Seconds without a tied call before the page lists what else to check (issue 10).
CHECK_AFTER = 30


def status_payload(challenge: Challenge, now: int, hint_kind: str | None) -> dict[str, Any]:
    state = challenge.visible_state(now)
    if state is ChallengeState.CONSUMED:  # the browser only needs to know it may go on
        state = ChallengeState.VERIFIED
    pending = state is ChallengeState.PENDING
    hint_kind = hint_kind if pending else None
    return {
        "state": state.value,
        "auth_number": phone_policy.domestic(challenge.auth_number),
        "auth_number_display": phone_policy.display(challenge.auth_number),
        "expires_in": max(0, challenge.expires_at - now) if pending else 0,
        # This challenge's whole window (the page says 有効時間 in seconds below a minute).
        "ttl": challenge.expires_at - challenge.created_at,
        # Seconds until the page lists what else to check when no call has come.
        "check_after": max(0, challenge.created_at + CHECK_AFTER - now) if pending else 0,
        "hint": HINT_MESSAGES.get(hint_kind or ""),
        "hint_kind": hint_kind,
        # The digits to key on the phone, or None when the number alone names the login.
        "code": challenge.code if pending else None,
        # Why the login ended without a call (another login started or was verified).
        "ended_by": challenge.ended_by.value if challenge.ended_by else None,
        "notice": ENDED_MESSAGES.get(challenge.ended_by) if challenge.ended_by else None,
    }
