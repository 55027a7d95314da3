"""Caller presentation: is the caller's number shown, withheld or unavailable?

Asterisk reports presentation as a Q.931 octet (``agi_callingpres``, decimal) and as a
name (``CALLERID(num-pres)``). Only the class bits (0x60) matter: a withheld call still
carries the real number, and an untrusted trunk sends a withheld call as the literal
``anonymous`` with presentation *allowed*, so the number is checked as well.
"""

from __future__ import annotations

import enum

_CLASS_MASK = 0x60
_PROHIBITED = 0x20
_UNAVAILABLE = 0x40

_NAMED_CLASSES = {
    "allowed": 0x00,
    "prohib": _PROHIBITED,
    "unavailable": _UNAVAILABLE,
}

#: Caller numbers that mean "no number" whatever the presentation says.
_ANONYMOUS = {"anonymous", "restricted", "private", "withheld"}
_EMPTY = {"", "unknown", "<unknown>"}


class Presentation(enum.StrEnum):
    SHOWN = "shown"
    WITHHELD = "withheld"
    UNAVAILABLE = "unavailable"


def class_of_octet(value: str) -> int | None:
    """Presentation class of ``agi_callingpres`` ("0", "35", "67"), None if not a number."""
    try:
        return int(value.strip()) & _CLASS_MASK
    except ValueError:
        return None


def class_of_name(name: str) -> int | None:
    """Presentation class of a ``CALLERID(num-pres)`` name such as ``prohib_not_screened``."""
    name = name.strip().lower()
    for prefix, cls in _NAMED_CLASSES.items():
        if name.startswith(prefix):
            return cls
    return None


def classify(number: str, callingpres: str, num_pres: str = "") -> tuple[Presentation, str]:
    """Presentation of a call and the precise reason, for the call log.

    The most restrictive of the two presentation sources wins, then the number itself.
    """
    classes = {c for c in (class_of_octet(callingpres), class_of_name(num_pres)) if c is not None}
    if _PROHIBITED in classes:
        return Presentation.WITHHELD, "presentation_prohibited"
    if _UNAVAILABLE in classes:
        return Presentation.UNAVAILABLE, "presentation_unavailable"
    cli = number.strip().lower()
    if cli in _ANONYMOUS:
        return Presentation.WITHHELD, "cli_anonymous"
    if cli in _EMPTY:
        return Presentation.UNAVAILABLE, "cli_empty"
    if not classes:
        return Presentation.UNAVAILABLE, "presentation_unknown"
    return Presentation.SHOWN, "presented"
