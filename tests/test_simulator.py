"""The simulated Asterisk sends the same bytes as the real Asterisk 22.10.1 transcripts.

A FastAGI peer replays the recorder's commands (``<<`` lines) of a fixture against the
simulator configured for that scenario and compares every byte it gets back.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from ivr.simulated_channel import split_args
from ivr.simulator import SCENARIOS, CallResult, call_spec, run_call, scenario
from tests.fixture_transcripts import Transcript, read_transcript

FASTAGI_SCENARIOS = sorted(SCENARIOS)


async def _read_reply(reader: asyncio.StreamReader) -> bytes:
    """One reply, with any asynchronous HANGUP lines before it."""
    out = b""
    while True:
        line = await reader.readline()
        out += line
        if line != b"HANGUP\n" or not line:
            return out


async def replay(transcript: Transcript, name: str) -> tuple[bytes, bytes, CallResult, int]:
    """Run the recorder's script against the simulator; (header, replies, result, port)."""
    env = transcript.env
    seq = int(env["agi_channel"].split("-")[-1].split(";")[0], 16)
    spec = scenario(name, uniqueid=env["agi_uniqueid"], threadid=env["agi_threadid"],
                    channel_seq=seq)  # fmt: skip
    received: asyncio.Future[tuple[bytes, bytes]] = asyncio.get_running_loop().create_future()

    async def recorder(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        header = await reader.readuntil(b"\n\n")
        replies = b""
        for way, data in transcript.dialogue:
            if way == "<<":
                writer.write(data)
                await writer.drain()
                replies += await _read_reply(reader)
        writer.write_eof()  # the recorder is done; anything still sent is read below
        replies += await reader.read()
        writer.close()
        await writer.wait_closed()
        received.set_result((header, replies))

    server = await asyncio.start_server(recorder, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with asyncio.timeout(5):
            result = await run_call("127.0.0.1", port, spec)
            header, replies = await received
    finally:
        server.close()
        await server.wait_closed()
    return header, replies, result, port


@pytest.mark.parametrize("name", FASTAGI_SCENARIOS)
async def test_simulator_sends_the_bytes_real_asterisk_sent(name: str) -> None:
    transcript = read_transcript(f"fastagi-{name}.txt")
    header, replies, result, port = await replay(transcript, name)
    # The only thing that differs is where the simulator connected to.
    assert header == transcript.header.replace(
        b"agi://127.0.0.1:4573/", f"agi://127.0.0.1:{port}/".encode()
    )
    assert replies == transcript.sent(">>")
    commands = b"".join(line for way, line in result.transcript if way == "<<")
    assert commands == transcript.sent("<<")


async def test_rejected_call_is_never_answered_and_carries_the_cause() -> None:
    _, _, result, _ = await replay(read_transcript("fastagi-reject-unanswered.txt"),
                                   "reject-unanswered")  # fmt: skip
    assert not result.answered
    assert result.hangup_cause == 21
    assert result.outcome == "withheld"
    assert not result.caller_hung_up


async def test_caller_hangup_is_recorded_as_the_callers() -> None:
    _, _, result, _ = await replay(read_transcript("fastagi-caller-hangup-during-exec.txt"),
                                   "caller-hangup-during-exec")  # fmt: skip
    assert result.answered and result.caller_hung_up
    assert result.hangup_cause == 16
    assert result.variables == {"AUTH_RESULT": "ok"}


async def test_script_that_returns_to_the_dialplan_leaves_the_call_up() -> None:
    _, _, result, _ = await replay(read_transcript("fastagi-return-to-dialplan.txt"),
                                   "return-to-dialplan")  # fmt: skip
    assert result.hangup_cause is None
    assert result.outcome == "verified"


@pytest.mark.parametrize(
    ("presentation", "channel_type", "name"),
    [
        ("allowed", "Local", "allowed"),
        ("prohib", "Local", "prohibited"),
        ("allowed", "PJSIP", "sip-trusted-allowed"),
        ("prohib", "PJSIP", "sip-trusted-prohibited"),
        ("unavailable", "PJSIP", "sip-trusted-unavailable"),
    ],
)
def test_presentation_maps_to_what_asterisk_showed(
    presentation: str, channel_type: str, name: str
) -> None:
    spec = call_spec("09012345678", "0312345678", presentation=presentation,
                     channel_type=channel_type, caller_name="YAMADA TARO")  # fmt: skip
    expected = SCENARIOS[name]
    assert replace(spec, uniqueid="", channel_seq=0, threadid="") == replace(
        expected, uniqueid="", channel_seq=0, threadid=""
    )


def test_unavailable_local_call_matches_the_fixture() -> None:
    spec = call_spec("", "0312345678", presentation="unavailable")
    assert replace(spec, uniqueid="", channel_seq=0) == replace(
        SCENARIOS["unavailable"], uniqueid="", channel_seq=0
    )


def test_every_scenario_has_a_fixture() -> None:
    for name in FASTAGI_SCENARIOS:
        assert read_transcript(f"fastagi-{name}.txt").env["agi_network_script"] == "auth"


@pytest.mark.parametrize(
    ("line", "args"),
    [
        ('STREAM FILE nonexistent-file ""', ["STREAM", "FILE", "nonexistent-file", ""]),
        ('VERBOSE "hello" 1', ["VERBOSE", "hello", "1"]),
        ('SET VARIABLE X "a \\"b\\" c"', ["SET", "VARIABLE", "X", 'a "b" c']),
        ("  EXEC   Wait 0.1 ", ["EXEC", "Wait", "0.1"]),
    ],
)
def test_command_lines_split_like_asterisk(line: str, args: list[str]) -> None:
    assert split_args(line) == args
