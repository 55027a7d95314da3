"""A simulated Asterisk 22.10.1 placing calls to a FastAGI server over real TCP.

Used by the tests, by ``callauth call`` and by the benchmarks. Its bytes follow the real
transcripts in ``tests/fixtures/``: the same header block (keys, order, LF only, empty
values keeping their space) and the same replies, including the asynchronous ``HANGUP``
line and ``511`` on a dead channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from callauth.ivr.dialplan import AUTH_SCRIPT, RESULT_VARIABLE
from callauth.ivr.simulated_channel import SimulatedChannel, default_sounds
from callauth.ivr.simulated_keypad import check_keys

ASTERISK_VERSION = "22.10.1"

_sequence = itertools.count(1)
#: Asterisk's uniqueid is the channel's creation time and its running channel count, so no
#: two calls share one. ``callauth call`` is a process per call, each counting from 1: the
#: count is offset by the process id, or two calls placed in the same second would share
#: a uniqueid in the call log (each process may place 100,000 before reaching the next).
_UNIQUE_FROM = os.getpid() * 100_000


def next_uniqueid() -> str:
    return f"{int(time.time())}.{_UNIQUE_FROM + next(_sequence)}"


def next_channel_seq() -> int:
    return next(_sequence)


@dataclass(frozen=True)
class CallSpec:
    """What the simulated Asterisk presents for one call, and how its caller behaves."""

    caller: str  # CALLERID(num); "" is sent as ``unknown`` in the header
    dialled: str  # the DNIS: agi_extension (and agi_dnid on PJSIP)
    caller_name: str = ""
    callingpres: int = 0  # agi_callingpres, decimal Q.931 octet
    num_pres: str = "allowed_not_screened"  # CALLERID(num-pres)
    pres: str = "allowed_not_screened"  # ${CALLERID(pres)}
    channel_type: str = "Local"  # Local | PJSIP
    context: str = "auth-in"
    endpoint: str = "in-trusted"  # PJSIP endpoint the call arrived on
    script: str = AUTH_SCRIPT
    #: The caller hangs up while the command after this many replies runs (None: never).
    hangup_after: int | None = None
    #: What the caller keys: one entry per keypad-reading command (GET DATA, WAIT FOR
    #: DIGIT, STREAM FILE with escape digits), in order, e.g. ("12#",); "" keys nothing.
    dtmf: tuple[str, ...] = ()
    uniqueid: str = field(default_factory=next_uniqueid)
    threadid: str = "139935006963392"
    channel_seq: int = field(default_factory=next_channel_seq)
    #: The AGI script's arguments, sent as agi_arg_1, agi_arg_2 … (e.g. the agi_secret).
    args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.dtmf, str):  # "1234" would be four entries of one key each
            raise TypeError("dtmf is a tuple of entries, one per keypad prompt")
        for entry in self.dtmf:
            check_keys(entry)

    @property
    def channel_name(self) -> str:
        if self.channel_type == "PJSIP":
            return f"PJSIP/{self.endpoint}-{self.channel_seq:08x}"
        return f"Local/{self.dialled}@{self.context}-{self.channel_seq:08x};2"


#: (channel type, presentation) -> (agi_callingpres, CALLERID(num-pres) = ${CALLERID(pres)}),
#: as observed: caller-sim's ``Set(CALLERID(num-pres)=prohib)`` on Local, a trusted trunk's
#: ``Privacy: id`` on PJSIP.
_PRESENTATIONS: dict[tuple[str, str], tuple[int, str]] = {
    ("Local", "allowed"): (0, "allowed_not_screened"),
    ("Local", "prohib"): (35, "prohib"),
    ("Local", "unavailable"): (67, "unavailable"),
    ("PJSIP", "allowed"): (0, "allowed_not_screened"),
    ("PJSIP", "prohib"): (32, "prohib_not_screened"),
    # Over SIP an unavailable number arrives as "anonymous", presentation allowed.
    ("PJSIP", "unavailable"): (0, "allowed_not_screened"),
}


def call_spec(
    caller: str,
    dialled: str,
    *,
    presentation: str = "allowed",
    channel_type: str = "Local",
    context: str = "auth-in",
    caller_name: str = "",
    hangup_after: int | None = None,
    args: tuple[str, ...] = (),
    dtmf: tuple[str, ...] = (),
) -> CallSpec:
    """A call as Asterisk shows it for a presentation ``allowed``, ``prohib`` or ``unavailable``."""
    key = (channel_type, presentation)
    if key not in _PRESENTATIONS:
        raise ValueError(f"unknown channel type/presentation {channel_type}/{presentation}")
    callingpres, pres = _PRESENTATIONS[key]
    if key == ("PJSIP", "unavailable"):
        caller, caller_name = "anonymous", "Anonymous"
    return CallSpec(
        caller, dialled, caller_name, callingpres, pres, pres,
        channel_type=channel_type, context=context, hangup_after=hangup_after, args=args,
        dtmf=dtmf,
    )  # fmt: skip


def header_block(spec: CallSpec, host: str, port: int) -> bytes:
    """The environment block Asterisk sends first, ending with one empty line."""
    fields = [
        ("agi_network", "yes"),
        ("agi_network_script", spec.script),
        ("agi_request", f"agi://{host}:{port}/{spec.script}"),
        ("agi_channel", spec.channel_name),
        ("agi_language", "en"),
        ("agi_type", spec.channel_type),
        ("agi_uniqueid", spec.uniqueid),
        ("agi_version", ASTERISK_VERSION),
        ("agi_callerid", spec.caller or "unknown"),
        ("agi_calleridname", spec.caller_name or "unknown"),
        ("agi_callingpres", str(spec.callingpres)),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", spec.dialled if spec.channel_type == "PJSIP" else "unknown"),
        ("agi_rdnis", "unknown"),
        ("agi_context", spec.context),
        ("agi_extension", spec.dialled),
        ("agi_priority", "2"),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", ""),
        ("agi_threadid", spec.threadid),
    ]
    # res_agi.c setup_env: the script's arguments follow agi_threadid, numbered from 1.
    fields += [(f"agi_arg_{n}", arg) for n, arg in enumerate(spec.args, 1)]
    return "".join(f"{key}: {value}\n" for key, value in fields).encode() + b"\n"


@dataclass(frozen=True)
class CallResult:
    spec: CallSpec
    variables: Mapping[str, str]  # channel variables the script set
    answered: bool
    hangup_cause: int | None  # None: the script returned to the dialplan, call still up
    caller_hung_up: bool
    played: tuple[str, ...]  # prompts streamed
    #: Every wire line in order: (">>", bytes Asterisk sent) or ("<<", bytes received).
    transcript: tuple[tuple[str, bytes], ...]

    @property
    def outcome(self) -> str | None:
        return self.variables.get(RESULT_VARIABLE)

    @property
    def commands(self) -> list[str]:
        return [line.decode().rstrip("\n") for way, line in self.transcript if way == "<<"]


async def run_call(
    host: str,
    port: int,
    spec: CallSpec,
    *,
    sound_exists: Callable[[str], bool] = default_sounds,
    local_addr: tuple[str, int] | None = None,
) -> CallResult:
    """Connect, send the header, answer commands until the server closes the socket.

    No time bound of its own: wrap it in ``asyncio.timeout`` as Asterisk's caller would.
    ``local_addr`` binds the PBX's side, e.g. to call from another loopback address.
    """
    channel = SimulatedChannel(spec, sound_exists)
    transcript: list[tuple[str, bytes]] = []
    reader, writer = await asyncio.open_connection(host, port, local_addr=local_addr)
    try:
        header = header_block(spec, host, port)
        transcript += [(">>", line) for line in header.splitlines(keepends=True)]
        writer.write(header)
        await _converse(reader, writer, channel, transcript)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    return CallResult(
        spec, dict(channel.variables), channel.answered, channel.cause,
        channel.caller_hung_up, tuple(channel.played), tuple(transcript),
    )  # fmt: skip


async def _converse(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    channel: SimulatedChannel,
    transcript: list[tuple[str, bytes]],
) -> None:
    try:
        await writer.drain()
        while (raw := await reader.readline()).endswith(b"\n"):
            transcript.append(("<<", raw))
            for line in channel.respond(raw[:-1].decode("utf-8", "replace")):
                data = line.encode() + b"\n"
                transcript.append((">>", data))
                writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass  # the server dropped the connection: the AGI script is over


async def place_call(
    host: str,
    port: int,
    *,
    caller: str,
    dialled: str,
    presentation: str = "allowed",
    channel_type: str = "Local",
    context: str = "auth-in",
    caller_name: str = "",
    hangup_after: int | None = None,
    args: tuple[str, ...] = (),
    dtmf: tuple[str, ...] = (),
) -> CallResult:
    """Place one simulated call (see :func:`call_spec`) and return what happened."""
    spec = call_spec(
        caller, dialled, presentation=presentation, channel_type=channel_type,
        context=context, caller_name=caller_name, hangup_after=hangup_after, args=args,
        dtmf=dtmf,
    )  # fmt: skip
    return await run_call(host, port, spec)
