"""The phone policy's answer about one number as typed, in the JSON API's shape.

One function for every place that answers it: ``POST /api/phone/validate`` (the insurer's
application form, My Page) and ``callauth check-number`` (an insurer's own back end), so
the two can never disagree.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from callauth.ivr import phone_policy

#: Longer input is not a number: answered without parsing it (the policy's work grows with it).
MAX_NUMBER_LENGTH = 64


def answer(
    number: str, allowed_kinds: frozenset[str] = phone_policy.DEFAULT_ALLOWED_KINDS
) -> dict[str, Any]:
    """``registrable``, ``e164``, ``kind``, ``message`` (DESIGN.md) and ``display``.

    ``display`` is the form to show back to the person: ``090-1234-5678`` for a Japanese
    number, E.164 for a foreign one, None when it is not a number.
    """
    if len(number) > MAX_NUMBER_LENGTH:  # an answer, not an error: it is not a number
        result = phone_policy.NumberCheck(False, None, "invalid", phone_policy.TOO_LONG)
    else:
        result = phone_policy.check(number, allowed_kinds)
    body = dataclasses.asdict(result)
    body["display"] = _display(result.e164)
    return body


def _display(e164: str | None) -> str | None:
    if e164 is None:
        return None
    if e164.startswith(f"+{phone_policy.COUNTRY_CODE}"):
        return phone_policy.display(e164)
    return e164
