"""The simulated caller's keypad: Asterisk 22.10.1's replies to the commands that read it.

As recorded in ``tests/fixtures/fastagi-get-data-*.txt``, ``fastagi-stream-file-escape.txt``
and ``fastagi-wait-for-digit.txt``. Timings are not replayed: the caller keys one command's
whole entry at once, and an entry that runs out before ``#`` or the last digit ends the
command the way Asterisk ends it when the timeout expires.
"""

from __future__ import annotations

#: The keys of a telephone keypad (DTMF): what ``--dtmf`` and ``CallSpec.dtmf`` accept.
KEYPAD = frozenset("0123456789*#ABCD")
#: GET DATA without a max-digits argument reads up to this many (Asterisk's default).
DEFAULT_MAX_DIGITS = 1024
#: The recording's test tones (8 kHz mono): how long each plays, in samples.
TEST_PROMPTS = {"test-prompt-1s": 8000, "test-prompt-5s": 40000}
#: A prompt's length in samples when the recording did not measure it.
DEFAULT_SAMPLES = 16000
#: How far into a prompt the simulated caller's key lands: 1.72 s, as recorded.
KEYED_AT = 13760


def check_keys(entry: str) -> str:
    """One keypad entry as typed; ValueError names the keys a keypad does not have."""
    bad = sorted(set(entry) - KEYPAD)
    if bad:
        raise ValueError(f"not keypad keys: {''.join(bad)!r} (use 0-9, *, # and A-D)")
    return entry


def prompt_samples(name: str) -> int:
    return TEST_PROMPTS.get(name, DEFAULT_SAMPLES)


def get_data(keys: str, max_digits: int) -> str:
    """``#`` ends the input (and is not returned); the last digit ends it at once."""
    digits = ""
    for key in keys:
        if key == "#":
            return f"200 result={digits}"
        digits += key
        if len(digits) >= max_digits:
            return f"200 result={digits}"
    # The caller stopped (or never started): what was typed, then " (timeout)".
    return f"200 result={digits} (timeout)"


def wait_for_digit(keys: str) -> str:
    """The first key's ASCII code; 0 when the caller keyed nothing."""
    return f"200 result={ord(keys[0]) if keys else 0}"


def stream_file(keys: str, escape_digits: str, samples: int) -> str:
    """An escape digit stops the prompt; other keys are swallowed and it plays to the end."""
    for key in keys:
        if key in escape_digits:
            return f"200 result={ord(key)} endpos={min(KEYED_AT, samples)}"
    return f"200 result=0 endpos={samples}"


def max_digits_arg(rest: list[str]) -> int:
    """GET DATA's third argument; Asterisk reads it with ``atoi``, so junk means default."""
    if len(rest) > 2 and rest[2].isdigit() and int(rest[2]) > 0:
        return int(rest[2])
    return DEFAULT_MAX_DIGITS
