"""A typed channel over one FastAGI connection.

panoramisk 1.4's ``Request`` reads replies without a timeout, takes an asynchronous
``HANGUP`` line as the reply to the command in flight (and is off by one from then on),
returns errors as dicts and raises ``ValueError`` on EOF. This subclass keeps its
attributes (headers, reader, writer) and replaces the reply handling: every way a call
can end under us becomes one :class:`CallHungUp`, and anything unparseable becomes
:class:`AgiProtocolError`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from panoramisk import fast_agi

#: ``200 result=1 (value) endpos=123``: the result word, then optional data and extras.
_REPLY = re.compile(r"(?P<code>\d{3})(?P<sep>[ -])(?P<rest>.*)")
_RESULT = re.compile(r"result=(?P<result>\S*)(?: \((?P<data>.*)\))?(?: (?P<extra>.*))?")
_PLAIN = re.compile(r"[^\s\"\\]+")
#: Extra seconds for STREAM FILE and EXEC: they reply only when the prompt or app ends.
PLAYBACK_ALLOWANCE = 60.0
#: What GET DATA may return: the keys typed, ``#`` excluded (it ends the input).
_KEYED = re.compile(r"[0-9*A-D]*")
_KEYS = frozenset("0123456789*#ABCD")
#: GET DATA's digit limit: Asterisk's own default, and the most its buffer holds.
MAX_DIGITS = 1024


class CallHungUp(Exception):
    """The call is over: 511 on a dead channel, EOF, a broken connection or no reply."""


class AgiProtocolError(Exception):
    """The peer answered something that is not an AGI reply to the command sent."""


@dataclass(frozen=True)
class AgiReply:
    code: int
    result: str  # the value after ``result=``; "" when there is none
    data: str  # the text in parentheses, e.g. a variable's value
    extra: str  # what follows, e.g. ``endpos=0``


@dataclass(frozen=True)
class KeypadInput:
    digits: str  # what was keyed, '#' excluded ("" when nothing)
    timed_out: bool  # Asterisk reported (timeout): the caller stopped or never started
    failed: bool  # result=-1: the prompt could not be played OR the caller hung up —
    # Asterisk answers both alike; the next channel command tells them apart (511)


def quote(value: str) -> str:
    """One AGI argument: bare when it is one plain word, else in escaped double quotes."""
    return value if _PLAIN.fullmatch(value) else quoted(value)


def quoted(value: str) -> str:
    """One AGI argument in double quotes, whatever it holds."""
    if "\n" in value or "\r" in value:
        # A newline would end the command and let the rest run as another one.
        raise ValueError("an AGI argument cannot contain a line break")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_reply(line: str) -> AgiReply:
    match = _REPLY.fullmatch(line)
    if match is None:
        raise AgiProtocolError(f"not an AGI reply: {line[:80]!r}")
    code, rest = int(match["code"]), match["rest"]
    if code != 200:
        return AgiReply(code, "", rest, "")
    result = _RESULT.fullmatch(rest)
    if result is None:
        raise AgiProtocolError(f"AGI reply without result=: {line[:80]!r}")
    return AgiReply(200, result["result"], result["data"] or "", result["extra"] or "")


class AgiChannel(fast_agi.Request):
    """One call's FastAGI dialogue, with methods that raise instead of returning dicts."""

    def __init__(
        self,
        app: Any,
        headers: Mapping[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        peer: str = "",
        command_timeout: float = 10.0,
    ) -> None:
        super().__init__(app, headers, reader, writer, encoding="utf-8")
        self.peer = peer
        self.command_timeout = command_timeout
        self.hung_up = False  # an asynchronous HANGUP line has been seen

    @property
    def uniqueid(self) -> str:
        return str(self.headers.get("agi_uniqueid", ""))

    async def send_command(self, command: str, allowance: float = 0.0) -> AgiReply:  # type: ignore[override]
        try:
            self.writer.write(command.encode(self.encoding) + b"\n")
            await self.writer.drain()
        except (ConnectionError, OSError) as exc:
            raise CallHungUp(f"connection lost sending {command.split()[0]}") from exc
        # Timed from the command, not per line: a peer trickling "100 Trying" or HANGUP
        # lines cannot stretch the wait for the reply.
        deadline = asyncio.get_running_loop().time() + self.command_timeout + allowance
        while True:
            line = await self._read_line(command, deadline)
            if line == "HANGUP":
                # Asterisk's notice that the channel hung up; the real reply follows.
                self.hung_up = True
                continue
            reply = parse_reply(line)
            if reply.code == 100:  # "100 result=0 Trying..."; the reply follows
                continue
            return await self._check(command, reply)

    async def _check(self, command: str, reply: AgiReply) -> AgiReply:
        if reply.code == 511:
            self.hung_up = True
            raise CallHungUp(f"{command.split()[0]}: 511 dead channel")
        if reply.code == 520:
            await self._skip_usage(command)
        if reply.code != 200:
            raise AgiProtocolError(f"{command!r} refused: {reply.code} {reply.data}")
        return reply

    async def _skip_usage(self, command: str) -> None:
        """``520-Invalid command syntax…`` is followed by usage lines up to ``520 …``."""
        deadline = asyncio.get_running_loop().time() + self.command_timeout
        while not (await self._read_line(command, deadline)).startswith("520 "):
            pass

    async def _read_line(self, command: str, deadline: float) -> str:
        """One line, read before ``deadline`` (the event loop's clock)."""
        name = command.split()[0] if command else "?"
        try:
            # asyncio.timeout, not wait_for: 3.11's wait_for wraps each read in a new task.
            async with asyncio.timeout_at(deadline):
                raw = await self.reader.readline()
        except TimeoutError as exc:
            raise CallHungUp(f"{name}: no reply in time") from exc
        except ValueError as exc:  # the line overran the stream limit
            raise AgiProtocolError(f"{name}: reply line too long") from exc
        except (ConnectionError, OSError) as exc:
            raise CallHungUp(f"{name}: connection lost") from exc
        if not raw.endswith(b"\n"):
            raise CallHungUp(f"{name}: connection closed by Asterisk")
        try:
            return raw[:-1].decode(self.encoding).removesuffix("\r")
        except UnicodeDecodeError as exc:
            raise AgiProtocolError(f"{name}: reply is not UTF-8") from exc

    def _require_live(self, what: str) -> None:
        # After a HANGUP notice, commands that act on the call are pointless: stop here.
        if self.hung_up:
            raise CallHungUp(f"{what}: channel already hung up")

    # -- typed commands ---------------------------------------------------------------

    async def get_variable(self, name: str) -> str:
        """The variable's value; "" when unset (``200 result=0``)."""
        reply = await self.send_command(f"GET VARIABLE {quote(name)}")
        return reply.data if reply.result == "1" else ""

    async def set_variable(self, name: str, value: str) -> None:
        await self.send_command(f"SET VARIABLE {quote(name)} {quote(value)}")

    async def answer(self) -> None:
        self._require_live("ANSWER")
        reply = await self.send_command("ANSWER")
        if reply.result == "-1":
            raise CallHungUp("ANSWER failed")

    async def exec(self, app: str, args: str = "") -> int:
        """Run a dialplan application; its result (``EXEC Hangup`` gives -1, legitimately)."""
        self._require_live(f"EXEC {app}")
        command = f"EXEC {quote(app)}" + (f" {quote(args)}" if args else "")
        return _int_result(await self.send_command(command, PLAYBACK_ALLOWANCE))

    async def stream_file(self, name: str, escape_digits: str = "") -> int:
        """Play a prompt; -1 when it could not be played (missing file), else 0 or the
        ASCII code of the escape digit that stopped it."""
        self._require_live("STREAM FILE")
        # Escape digits always quoted, as the recorded client sent them ("#" included).
        command = f"STREAM FILE {quote(name)} {quoted(escape_digits)}"
        reply = await self.send_command(command, PLAYBACK_ALLOWANCE)
        return _int_result(reply)

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> KeypadInput:
        """Play ``prompt`` and read up to ``max_digits`` keys; ``#`` ends the input early.

        ``timeout_ms`` bounds the wait for the first key after the prompt and between keys.
        A HANGUP notice that follows a ``-1`` reply is read by the next command, which
        then raises :class:`CallHungUp`.
        """
        if timeout_ms <= 0 or not 1 <= max_digits <= MAX_DIGITS:
            raise ValueError(f"GET DATA needs timeout_ms > 0 and 1..{MAX_DIGITS} digits")
        self._require_live("GET DATA")
        command = f"GET DATA {quote(prompt)} {timeout_ms} {max_digits}"
        reply = await self.send_command(command, keypad_allowance(timeout_ms, max_digits))
        if reply.result == "-1":
            return KeypadInput("", timed_out=False, failed=True)
        if not _KEYED.fullmatch(reply.result) or reply.data not in ("", "timeout"):
            raise AgiProtocolError(f"GET DATA: unexpected reply {reply}")
        # Our parser, not panoramisk's: "200 result= (timeout)" is no keys AND a timeout.
        return KeypadInput(reply.result, timed_out=reply.data == "timeout", failed=False)

    async def wait_for_digit(self, timeout_ms: int) -> str:
        """The next key the caller presses; "" when none came within ``timeout_ms``."""
        if timeout_ms <= 0:  # Asterisk takes -1 as "wait for ever"; a call must not
            raise ValueError("WAIT FOR DIGIT needs timeout_ms > 0")
        self._require_live("WAIT FOR DIGIT")
        reply = await self.send_command(f"WAIT FOR DIGIT {timeout_ms}", timeout_ms / 1000)
        code = _int_result(reply)
        if code == -1:  # no prompt involved: -1 can only be the channel failing
            raise CallHungUp("WAIT FOR DIGIT failed")
        if code == 0:
            return ""
        key = chr(code) if 0 < code < 128 else ""
        if key not in _KEYS:
            raise AgiProtocolError(f"WAIT FOR DIGIT: not a key: {reply.result}")
        return key

    async def hangup(self) -> None:
        self._require_live("HANGUP")
        await self.send_command("HANGUP")

    async def verbose(self, message: str, level: int = 1) -> None:
        await self.send_command(f"VERBOSE {quoted(message)} {level}")


def _int_result(reply: AgiReply) -> int:
    try:
        return int(reply.result)
    except ValueError as exc:
        raise AgiProtocolError(f"non-numeric result {reply.result!r}") from exc


def keypad_allowance(timeout_ms: int, max_digits: int) -> float:
    """Seconds GET DATA may take beyond a plain command: the prompt, then each key's wait."""
    return PLAYBACK_ALLOWANCE + max_digits * timeout_ms / 1000
