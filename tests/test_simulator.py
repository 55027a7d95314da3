"""The simulated Asterisk sends the same bytes as the real Asterisk 22.10.1 transcripts.

A FastAGI peer replays the recorder's commands (``<<`` lines) of a fixture against the
simulator configured for that scenario and compares every byte it gets back.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from callauth.ivr.simulated_channel import DEAD, SimulatedChannel, split_args
from callauth.ivr.simulated_scenarios import SCENARIOS, scenario
from callauth.ivr.simulator import CallResult, CallSpec, call_spec, run_call
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


def test_every_fastagi_fixture_is_replayed() -> None:
    from tests.fixture_transcripts import FIXTURES

    recorded = {
        path.name[len("fastagi-") : -len(".txt")] for path in FIXTURES.glob("fastagi-*.txt")
    }
    assert recorded == set(SCENARIOS)


async def test_hangup_while_get_data_waits_ends_it_with_minus_one_then_hangup() -> None:
    _, replies, result, _ = await replay(read_transcript("fastagi-get-data-hangup.txt"),
                                         "get-data-hangup")  # fmt: skip
    assert replies.startswith(b"200 result=0\n200 result=-1\nHANGUP\n511 ")
    assert result.caller_hung_up and result.hangup_cause == 16


async def test_missing_prompt_reads_no_key_and_keeps_the_call_up() -> None:
    _, _, result, _ = await replay(read_transcript("fastagi-get-data-missing-prompt.txt"),
                                   "get-data-missing-prompt")  # fmt: skip
    assert not result.caller_hung_up
    assert result.played == ("test-prompt-1s",)  # the missing one never played


def _respond(spec: CallSpec, *lines: str) -> list[list[str]]:
    channel = SimulatedChannel(spec)
    return [channel.respond(line) for line in lines]


@pytest.mark.parametrize(
    ("keys", "command", "reply"),
    [
        ("1234", "GET DATA p 5000 4", "200 result=1234"),
        ("123456", "GET DATA p 5000 4", "200 result=1234"),  # max digits ends it at once
        ("12#34", "GET DATA p 5000 4", "200 result=12"),
        ("#", "GET DATA p 5000 4", "200 result="),
        ("", "GET DATA p 5000 4", "200 result= (timeout)"),
        ("*9", "GET DATA p 5000 4", "200 result=*9 (timeout)"),
        ("12345", "GET DATA p", "200 result=12345 (timeout)"),  # no max: Asterisk's 1024
        ("7", "WAIT FOR DIGIT 5000", "200 result=55"),
        ("#", "WAIT FOR DIGIT 5000", "200 result=35"),
        ("", "WAIT FOR DIGIT 5000", "200 result=0"),
        ("5", 'STREAM FILE p "0123456789#"', "200 result=53 endpos=13760"),
        ("15", 'STREAM FILE p "5"', "200 result=53 endpos=13760"),  # "1" is swallowed
        ("5", 'STREAM FILE p "#"', "200 result=0 endpos=40000"),
        ("", 'STREAM FILE p "#"', "200 result=0 endpos=40000"),
    ],
)
def test_keypad_commands_answer_as_asterisk_did(keys: str, command: str, reply: str) -> None:
    spec = replace(SCENARIOS["get-data-digits"], dtmf=(keys,))
    assert _respond(spec, command.replace(" p", " test-prompt-5s", 1)) == [[reply]]


def test_keypad_entries_go_to_successive_prompts_then_nothing_is_keyed() -> None:
    spec = replace(SCENARIOS["get-data-digits"], dtmf=("1111", "1234"))
    get = "GET DATA callauth/code 5000 4"
    # STREAM FILE without escape digits does not read the keypad, so it takes no entry.
    assert _respond(spec, get, 'STREAM FILE callauth/retry ""', get, get, "WAIT FOR DIGIT 1") == [
        ["200 result=1111"], ["200 result=0 endpos=16000"], ["200 result=1234"],
        ["200 result= (timeout)"], ["200 result=0"],
    ]  # fmt: skip


def test_keypad_commands_on_a_dead_channel_get_511() -> None:
    spec = replace(SCENARIOS["get-data-digits"], hangup_after=0)
    replies = _respond(spec, "WAIT FOR DIGIT 5000", "GET DATA test-prompt-1s 5000 4",
                       "WAIT FOR DIGIT 5000", "GET VARIABLE CHANNEL(name)")  # fmt: skip
    assert replies[:3] == [["200 result=-1", "HANGUP"], [DEAD], [DEAD]]
    assert replies[3][0].startswith("200 result=1 (Local/")


@pytest.mark.parametrize("dtmf", [("12x",), ("1 2",), ("a",)])
def test_keys_a_keypad_does_not_have_are_refused(dtmf: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="not keypad keys"):
        call_spec("09012345678", "0312345678", dtmf=dtmf)


def test_dtmf_as_a_bare_string_is_refused() -> None:
    with pytest.raises(TypeError, match="tuple"):
        replace(SCENARIOS["allowed"], dtmf="1234")  # type: ignore[arg-type]


async def test_callauth_call_answers_each_get_data_with_the_next_dtmf_entry(tmp_path: Path) -> None:
    replies: list[bytes] = []

    async def service(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\n\n")
        for _ in range(3):  # the third prompt finds the entries used up
            writer.write(b"GET DATA callauth/code 5000 4\n")
            replies.append(await reader.readline())
        writer.write(b"SET VARIABLE CALLAUTH_RESULT verified\n")
        await reader.readline()
        writer.close()

    server = await asyncio.start_server(service, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "callauth", "call", "--from", "09012345678", "--to", "0120111222",
            "--dtmf", "1111,12#", "--agi", f"127.0.0.1:{port}", cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        server.close()
        await server.wait_closed()
    assert replies == [b"200 result=1111\n", b"200 result=12\n", b"200 result= (timeout)\n"]
    assert proc.returncode == 0, err
    assert out.decode().strip() == "verified"


def test_callauth_call_refuses_keys_a_keypad_does_not_have(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "callauth", "call", "--from", "09012345678",
                           "--to", "0120111222", "--dtmf", "12x3"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "--dtmf" in done.stderr and "'x'" in done.stderr


def test_agi_hangup_sets_no_cause_but_the_hangup_application_does_even_once_answered() -> None:
    # res_agi's HANGUP only asks for a soft hang-up (the h extension and AMI say cause 0);
    # pbx_builtin_hangup sets its cause whatever the channel's state and returns -1.
    plain = SimulatedChannel(SCENARIOS["allowed"])
    assert [plain.respond(c) for c in ("ANSWER", "HANGUP")] == [
        ["200 result=0"], ["200 result=1", "HANGUP"],
    ]  # fmt: skip
    assert plain.cause == 0
    answered = SimulatedChannel(SCENARIOS["allowed"])
    assert [answered.respond(c) for c in ("ANSWER", "EXEC Hangup 21", "ANSWER")] == [
        ["200 result=0"], ["200 result=-1", "HANGUP"], [DEAD],
    ]  # fmt: skip
    assert answered.answered and answered.cause == 21


def test_calls_placed_by_separate_processes_in_one_second_have_distinct_uniqueids() -> None:
    # `callauth call` is a process per call; a real Asterisk never repeats a uniqueid.
    code = "from callauth.ivr.simulator import next_uniqueid as u; print(u(), u())"
    runs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    ids = [uid for run in runs for uid in run.communicate(timeout=60)[0].split()]
    assert all(run.returncode == 0 for run in runs)
    assert len(ids) == 8 and len(set(ids)) == 8
    assert all(re.fullmatch(r"\d{10}\.\d+", uid) for uid in ids)  # Asterisk's shape
