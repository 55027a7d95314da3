"""Asterisk's side of one AGI session, without I/O: one command line in, reply lines out.

The behaviour is the one recorded in ``tests/fixtures/`` (Asterisk 22.10.1):

- ``GET VARIABLE`` answers from the channel (``200 result=0`` when unset) and, like
  ``SET VARIABLE``, ``EXEC`` and ``VERBOSE``, still works on a dead channel;
- ``ANSWER``, ``STREAM FILE`` and ``HANGUP`` get ``511`` on a dead channel;
- ``EXEC Hangup N`` returns ``200 result=-1`` and the channel dies with cause N, ringing
  or answered (the Hangup application sets the cause whatever the channel's state);
- AGI ``HANGUP`` ends the channel with no cause: Asterisk's ``h`` extension and AMI report
  0 (res_agi only asks for a soft hang-up);
- when the channel dies, Asterisk sends ``HANGUP`` once, on its own line;
- ``GET DATA``, ``WAIT FOR DIGIT`` and ``STREAM FILE`` with escape digits read the caller's
  keypad (:mod:`ivr.simulated_keypad`), one ``CallSpec.dtmf`` entry each, in order; a
  hang-up while one of them waits interrupts it with ``200 result=-1``, ``HANGUP`` after.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from callauth.ivr import simulated_keypad as keypad

if TYPE_CHECKING:
    from callauth.ivr.simulator import CallSpec

DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
UNKNOWN = "510 Invalid or unknown command"
#: Cause of a hang-up by the caller.
NORMAL_CLEARING = 16
#: Cause after the AGI ``HANGUP`` command, which sets none.
NO_CAUSE = 0

_SUBSTITUTION = re.compile(r"\$\{([^}]*)\}")


def default_sounds(name: str) -> bool:
    """Installed prompts: callauth's own (``asterisk-conf`` ships them) and the recording's
    test tones, nothing else."""
    return name.startswith("callauth/") or name in keypad.TEST_PROMPTS


def split_args(line: str) -> list[str]:
    """Split a command line as Asterisk's ``parse_args`` does: quotes group, ``\\`` escapes."""
    args: list[str] = []
    current: list[str] = []
    started = quoted = escaped = False
    for char in line:
        if escaped or not (char in '\\"' or (char.isspace() and not quoted)):
            current.append(char)
            escaped, started = False, True
        elif char == "\\":
            escaped = started = True
        elif char == '"':
            quoted, started = not quoted, True
        elif started:  # unquoted white space ends an argument
            args.append("".join(current))
            current, started = [], False
    if started:
        args.append("".join(current))
    return args


class SimulatedChannel:
    def __init__(self, spec: CallSpec, sound_exists: Callable[[str], bool] = default_sounds):
        self.spec = spec
        self.sound_exists = sound_exists
        self.variables: dict[str, str] = {}  # set with SET VARIABLE
        self.alive = True
        self.answered = False
        self.cause: int | None = None
        self.caller_hung_up = False
        self.played: list[str] = []
        self._commands = 0
        self._keys = deque(spec.dtmf)  # one entry per keypad-reading command

    def respond(self, line: str) -> list[str]:
        """The lines Asterisk writes for one command line, ``HANGUP`` notices included."""
        args = split_args(line)
        index, self._commands = self._commands, self._commands + 1
        if self.alive and index == self.spec.hangup_after:
            self._die(NORMAL_CLEARING)
            self.caller_hung_up = True
            if _waits([arg.upper() for arg in args[:3]]):
                return ["200 result=-1", "HANGUP"]  # the running application is interrupted
            return ["HANGUP", *self._dispatch(args)]
        was_alive = self.alive
        reply = self._dispatch(args)
        return [*reply, "HANGUP"] if was_alive and not self.alive else reply

    def lookup(self, name: str) -> str | None:
        spec = self.spec
        builtin = {
            "CALLERID(num)": spec.caller,
            "CALLERID(name)": spec.caller_name,
            "CALLERID(num-pres)": spec.num_pres,
            "CALLERID(pres)": spec.pres,
            "CHANNEL(name)": spec.channel_name,
        }
        return self.variables.get(name, builtin.get(name))

    def _die(self, cause: int) -> None:
        self.alive, self.cause = False, cause

    def _dispatch(self, args: list[str]) -> list[str]:
        words = [arg.upper() for arg in args[:3]]
        for command, needed, handler in self._table():
            if words[: len(command)] == list(command):
                rest = args[len(command) :]
                if len(rest) < needed:
                    return [
                        "520-Invalid command syntax.  Proper usage follows:",
                        f"Usage: {' '.join(command)}",
                        "520 End of proper usage.",
                    ]
                return [handler(rest)]
        return [UNKNOWN]

    def _table(self) -> list[tuple[tuple[str, ...], int, Callable[[list[str]], str]]]:
        return [
            (("GET", "FULL", "VARIABLE"), 1, self._get_full_variable),
            (("GET", "VARIABLE"), 1, self._get_variable),
            (("SET", "VARIABLE"), 2, self._set_variable),
            (("STREAM", "FILE"), 2, self._stream_file),
            (("GET", "DATA"), 1, self._get_data),
            (("WAIT", "FOR", "DIGIT"), 1, self._wait_for_digit),
            (("ANSWER",), 0, self._answer),
            (("HANGUP",), 0, self._hangup),
            (("EXEC",), 1, self._exec),
            (("VERBOSE",), 1, lambda rest: "200 result=1"),
        ]

    def _get_variable(self, rest: list[str]) -> str:
        value = self.lookup(rest[0])
        return "200 result=0" if value is None else f"200 result=1 ({value})"

    def _get_full_variable(self, rest: list[str]) -> str:
        value = _SUBSTITUTION.sub(lambda m: self.lookup(m.group(1)) or "", rest[0])
        return f"200 result=1 ({value})"

    def _set_variable(self, rest: list[str]) -> str:
        self.variables[rest[0]] = rest[1]
        return "200 result=1"

    def _stream_file(self, rest: list[str]) -> str:
        if not self.alive:
            return DEAD
        if not self.sound_exists(rest[0]):
            return "200 result=-1 endpos=0"
        self.played.append(rest[0])
        samples = keypad.prompt_samples(rest[0])
        if not rest[1]:  # no escape digits: the keypad is not read
            return f"200 result=0 endpos={samples}"
        return keypad.stream_file(self._next_keys(), rest[1], samples)

    def _get_data(self, rest: list[str]) -> str:
        if not self.alive:
            return DEAD
        if not self.sound_exists(rest[0]):
            return "200 result=-1"  # as on a hang-up, but no HANGUP follows; no key is read
        self.played.append(rest[0])
        return keypad.get_data(self._next_keys(), keypad.max_digits_arg(rest))

    def _wait_for_digit(self, rest: list[str]) -> str:
        return DEAD if not self.alive else keypad.wait_for_digit(self._next_keys())

    def _next_keys(self) -> str:
        # When the entries run out the caller keys nothing.
        return self._keys.popleft() if self._keys else ""

    def _answer(self, rest: list[str]) -> str:
        if not self.alive:
            return DEAD
        self.answered = True
        return "200 result=0"

    def _hangup(self, rest: list[str]) -> str:
        if not self.alive:
            return DEAD
        self._die(NO_CAUSE)
        return "200 result=1"

    def _exec(self, rest: list[str]) -> str:
        app, data = rest[0], rest[1] if len(rest) > 1 else ""
        if app.lower() != "hangup":
            return "200 result=0"
        # The Hangup application always returns -1; it ends a live channel with its cause.
        if self.alive:
            self._die(int(data) if data.isdigit() else NORMAL_CLEARING)
        return "200 result=-1"


def _waits(words: list[str]) -> bool:
    """Commands that wait on the call (an application, the keypad): a hang-up ends them."""
    return (
        words[:1] == ["EXEC"] or words[:2] == ["GET", "DATA"] or words == ["WAIT", "FOR", "DIGIT"]
    )
