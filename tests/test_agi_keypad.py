"""Keypad input on the typed FastAGI channel (GET DATA, WAIT FOR DIGIT, STREAM FILE escape
digits), against the recorded transcripts, the simulator and scripted Asterisk bytes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from callauth.ivr.agi_channel import (
    AgiChannel,
    AgiProtocolError,
    CallHungUp,
    KeypadInput,
    keypad_allowance,
    parse_reply,
)
from callauth.ivr.simulated_scenarios import scenario
from callauth.ivr.simulator import run_call
from tests.agi_channel_support import Asterisk, channel_pair
from tests.fixture_transcripts import read_transcript
from tests.transcript_peer import Script, channel_server, play_transcript


@pytest.fixture
async def pair() -> AsyncIterator[tuple[AgiChannel, Asterisk]]:
    async with channel_pair() as found:
        yield found


@pytest.mark.parametrize(
    ("line", "result", "data"),
    [
        ("200 result=1234", "1234", ""),
        ("200 result=", "", ""),  # a lone "#"
        ("200 result= (timeout)", "", "timeout"),  # panoramisk 1.4 makes this ('', '')
        ("200 result=1 (timeout)", "1", "timeout"),
        ("200 result=-1", "-1", ""),
    ],
)
def test_get_data_replies_parse_with_their_timeout_mark(line: str, result: str, data: str) -> None:
    reply = parse_reply(line)
    assert (reply.code, reply.result, reply.data, reply.extra) == (200, result, data, "")


def _ki(digits: str = "", *, timed_out: bool = False, failed: bool = False) -> KeypadInput:
    return KeypadInput(digits, timed_out=timed_out, failed=failed)


async def _raised(command: object) -> str:
    try:
        await command  # type: ignore[misc]
    except CallHungUp:
        return "CallHungUp"
    return "returned"


async def _one_get_data(channel: AgiChannel, prompt: str = "test-prompt-1s") -> list[object]:
    await channel.answer()
    got = await channel.get_data(prompt, 5000, 4)
    await channel.hangup()
    return [got]


async def _two_get_data(channel: AgiChannel, first: str = "test-prompt-1s") -> list[object]:
    await channel.answer()
    got: list[object] = [
        await channel.get_data(first, 5000, 4),
        await channel.get_data("test-prompt-1s", 5000, 4),
    ]
    await channel.hangup()
    return got


async def _barge_in(channel: AgiChannel) -> list[object]:
    return await _one_get_data(channel, "test-prompt-5s")


async def _missing_prompt(channel: AgiChannel) -> list[object]:
    return await _two_get_data(channel, "no-such-prompt")


async def _hangup_during_prompt(channel: AgiChannel) -> list[object]:
    await channel.answer()
    failed = await channel.get_data("test-prompt-5s", 5000, 4)
    # The HANGUP notice after the -1 is read by this command, which then gets 511.
    again = await _raised(channel.get_data("test-prompt-1s", 5000, 4))
    return [failed, again, channel.hung_up, await _raised(channel.hangup())]


async def _hangup_while_waiting(channel: AgiChannel) -> list[object]:
    await channel.answer()
    failed = await channel.get_data("test-prompt-1s", 5000, 4)
    again = await _raised(channel.get_data("test-prompt-1s", 5000, 4))
    return [failed, again, await _raised(channel.wait_for_digit(1000))]


async def _wait_for_digit(channel: AgiChannel) -> list[object]:
    await channel.answer()
    got: list[object] = [await channel.wait_for_digit(5000), await channel.wait_for_digit(5000)]
    await channel.hangup()
    return got


async def _stream_file_escape(channel: AgiChannel) -> list[object]:
    await channel.answer()
    got: list[object] = [await channel.stream_file("test-prompt-5s", "0123456789#"),
           await channel.stream_file("test-prompt-5s", "#")]  # fmt: skip
    await channel.hangup()
    return got


HUNG_UP = ["CallHungUp", True, "CallHungUp"]
#: fixture -> (script, what it observes, how many of the recorded commands it sends)
KEYPAD_CASES: dict[str, tuple[Script, list[object], int | None]] = {
    "get-data-digits": (_one_get_data, [_ki("1234")], None),
    "get-data-barge-in": (_barge_in, [_ki("1234")], None),
    "get-data-hash": (_two_get_data, [_ki("12"), _ki("")], None),
    "get-data-timeout": (_two_get_data, [_ki("", timed_out=True), _ki("1", timed_out=True)], None),
    # A missing prompt fails like a hang-up, but the call goes on and the next one reads keys.
    "get-data-missing-prompt": (_missing_prompt, [_ki(failed=True), _ki("1234")], None),
    "get-data-hangup-during-prompt": (_hangup_during_prompt, [_ki(failed=True), *HUNG_UP], 3),
    # WAIT FOR DIGIT is never sent: the channel already knows the call is over.
    "get-data-hangup": (_hangup_while_waiting, [_ki(failed=True), "CallHungUp", "CallHungUp"], 3),
    "wait-for-digit": (_wait_for_digit, ["7", ""], None),
    "stream-file-escape": (_stream_file_escape, [ord("5"), 0], None),
}


@pytest.mark.parametrize("asterisk", ["simulator", "recording"])
@pytest.mark.parametrize("name", sorted(KEYPAD_CASES))
async def test_keypad_input_reads_as_asterisk_sent_it(name: str, asterisk: str) -> None:
    script, expected, commands = KEYPAD_CASES[name]
    transcript = read_transcript(f"fastagi-{name}.txt")
    async with channel_server(script) as (port, outcome), asyncio.timeout(5):
        if asterisk == "simulator":
            result = await run_call("127.0.0.1", port, scenario(name))
            sent = [line for way, line in result.transcript if way == "<<"]
        else:
            sent = await play_transcript(port, transcript)
        observed = await outcome
    assert observed == expected
    # The client sent the recorder's commands, byte for byte (up to where it stops).
    assert sent == [data for way, data in transcript.dialogue if way == "<<"][:commands]


async def test_hangup_notice_after_a_failed_get_data_stops_the_next_channel_command(pair) -> None:
    channel, pbx = pair
    got, _ = await asyncio.gather(
        channel.get_data("callauth/code", 5000, 4),
        pbx.expect(b"GET DATA callauth/code 5000 4\n", b"200 result=-1\nHANGUP\n"),
    )
    assert got.failed and not channel.hung_up  # the notice is not read yet
    # GET VARIABLE still works on a dead channel; it reads the notice first.
    value, _ = await asyncio.gather(
        channel.get_variable("CHANNEL(name)"),
        pbx.expect(b"GET VARIABLE CHANNEL(name)\n", b"200 result=1 (Local/x;2)\n"),
    )
    assert value == "Local/x;2" and channel.hung_up
    with pytest.raises(CallHungUp):
        await channel.get_data("callauth/code", 5000, 4)
    channel.writer.write_eof()
    assert await pbx.reader.read() == b""  # the last GET DATA was never sent


async def test_get_data_waits_for_the_prompt_and_the_keys_beyond_the_command_timeout(pair) -> None:
    channel, pbx = pair  # command_timeout is 0.5 s

    async def slow_caller() -> None:
        assert await pbx.reader.readline() == b"GET DATA callauth/code 3000 4\n"
        await asyncio.sleep(0.8)
        pbx.writer.write(b"200 result=1234\n")

    got, _ = await asyncio.gather(channel.get_data("callauth/code", 3000, 4), slow_caller())
    assert got == _ki("1234")
    assert keypad_allowance(3000, 4) >= 60 + 4 * 3.0  # prompt, then up to 4 key waits


@pytest.mark.parametrize("reply", [b"200 result=12x\n", b"200 result=1 (other)\n"])
async def test_get_data_garbage_is_a_protocol_error(pair, reply: bytes) -> None:
    channel, pbx = pair
    with pytest.raises(AgiProtocolError):
        await asyncio.gather(channel.get_data("p", 5000, 4),
                             pbx.expect(b"GET DATA p 5000 4\n", reply))  # fmt: skip


async def test_get_data_eof_raises_call_hung_up(pair) -> None:
    channel, pbx = pair
    pbx.writer.close()
    with pytest.raises(CallHungUp):
        await channel.get_data("p", 5000, 4)


@pytest.mark.parametrize("args", [(0, 4), (5000, 0), (5000, 1025), (-1, 4)])
async def test_get_data_refuses_bounds_it_cannot_wait_for(pair, args: tuple[int, int]) -> None:
    channel, pbx = pair
    with pytest.raises(ValueError, match="GET DATA"):
        await channel.get_data("p", *args)
    with pytest.raises(ValueError, match="WAIT FOR DIGIT"):
        await channel.wait_for_digit(-1)  # Asterisk would wait for ever


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [(b"200 result=35\n", "#"), (b"200 result=42\n", "*"), (b"200 result=-1\n", CallHungUp),
     (b"200 result=120\n", AgiProtocolError)],
)  # fmt: skip
async def test_wait_for_digit_reads_the_key_from_its_code(pair, reply: bytes, outcome) -> None:
    channel, pbx = pair
    expect = pbx.expect(b"WAIT FOR DIGIT 1000\n", reply)
    if isinstance(outcome, str):
        key, _ = await asyncio.gather(channel.wait_for_digit(1000), expect)
        assert key == outcome
    else:
        with pytest.raises(outcome):
            await asyncio.gather(channel.wait_for_digit(1000), expect)
