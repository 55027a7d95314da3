"""Which authentication number (and keypad code) a new challenge gets: a pure function.

A phone must never be handed a number it may redial by habit and complete a login it did
not start. So a phone's recent challenges are the numbers it was shown, and a new
challenge gets, in this order of preference:

1. a pool number no live challenge of the phone holds and not shown to it within the
   cooldown (no code needed: the pair (caller, dialled) names this login alone);
2. else the least recently shown number no live challenge of the phone holds, with a
   keypad code (a redial of the old number cannot complete it without the new code);
3. else the least recently shown number, shared with a live challenge, with a code; a
   live challenge on it without a code gets one too, so that the codes tell them apart.

``code_mode`` ``always`` puts a code on every challenge; ``never`` never does (then a
shared number ends ``ambiguous``, as without codes).
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from callauth.ivr.verification import is_live

CODE_LENGTH = 4


class CodeMode(enum.StrEnum):
    FALLBACK = "fallback"
    ALWAYS = "always"
    NEVER = "never"


class Shown(Protocol):
    """One challenge of the phone: a number it was shown (``db.models.Challenge``)."""

    @property
    def id(self) -> int: ...
    @property
    def auth_number(self) -> str: ...
    @property
    def created_at(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def expires_at(self) -> int: ...
    @property
    def code(self) -> str | None: ...


@dataclass(frozen=True)
class Allocation:
    auth_number: str
    code: str | None
    #: Live challenges on the same number that had no code, with the code each now gets.
    recoded: Mapping[int, str] = field(default_factory=dict)


def random_code() -> str:
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def allocate(
    pool: Sequence[str],
    shown: Sequence[Shown],
    *,
    now: int,
    cooldown: int,
    code_mode: CodeMode = CodeMode.FALLBACK,
    choice: Callable[[Sequence[str]], str] = secrets.choice,
    new_code: Callable[[], str] = random_code,
) -> Allocation:
    """The number and code for a new challenge of a phone whose recent challenges are ``shown``."""
    recent = [s for s in shown if s.created_at > now - cooldown]
    live = {s.auth_number for s in recent if is_live(s, now)}
    last_shown: dict[str, int] = {}
    for s in recent:
        last_shown[s.auth_number] = max(s.created_at, last_shown.get(s.auth_number, 0))
    fresh = [n for n in pool if n not in live and n not in last_shown]
    if fresh:
        code = new_code() if code_mode is CodeMode.ALWAYS else None
        return Allocation(choice(fresh), code)
    free = [n for n in pool if n not in live]
    number = _least_recent(free or list(pool), last_shown, choice)
    if code_mode is CodeMode.NEVER:
        return Allocation(number, None)
    sharing = [s for s in recent if is_live(s, now) and s.auth_number == number]
    taken = {s.code for s in sharing if s.code}
    recoded: dict[int, str] = {}
    for s in sharing:
        if not s.code:
            recoded[s.id] = _distinct(new_code, taken)
    return Allocation(number, _distinct(new_code, taken), recoded)


def _least_recent(
    numbers: Sequence[str], last_shown: Mapping[str, int], choice: Callable[[Sequence[str]], str]
) -> str:
    oldest = min(last_shown.get(n, 0) for n in numbers)
    return choice([n for n in numbers if last_shown.get(n, 0) == oldest])


def _distinct(new_code: Callable[[], str], taken: set[str]) -> str:
    """A code none of the challenges sharing the number has (added to ``taken``)."""
    while (code := new_code()) in taken:
        pass
    taken.add(code)
    return code


def needed_pool_size(max_live: int, reissue_limit: int) -> int:
    """The smallest pool in which ``max_live`` logins of one phone, each re-drawn
    ``reissue_limit`` times, all get numbers the phone was not shown: no code needed
    within one cooldown for that much use."""
    return max_live * (reissue_limit + 1)
