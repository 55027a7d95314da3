"""The typed FastAGI channel over a real loopback socket, against scripted Asterisk bytes:
replies, hang-ups, garbage, quoting (keypad input: tests/test_agi_keypad.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from callauth.ivr.agi_channel import (
    AgiChannel,
    AgiProtocolError,
    CallHungUp,
    quote,
)
from tests.agi_channel_support import Asterisk, channel_pair


@pytest.fixture
async def pair() -> AsyncIterator[tuple[AgiChannel, Asterisk]]:
    async with channel_pair() as found:
        yield found


async def test_reply_after_async_hangup_is_read_as_the_reply(pair) -> None:
    channel, pbx = pair
    value, _ = await asyncio.gather(
        channel.get_variable("CALLAUTH_RESULT"),
        pbx.expect(b"GET VARIABLE CALLAUTH_RESULT\n", b"HANGUP\n200 result=1 (withheld)\n"),
    )
    assert value == "withheld"
    assert channel.hung_up
    # Not off by one: the next command gets its own reply.
    value, _ = await asyncio.gather(
        channel.get_variable("UNSET"), pbx.expect(b"GET VARIABLE UNSET\n", b"200 result=0\n")
    )
    assert value == ""


async def test_dead_channel_511_raises_call_hung_up(pair) -> None:
    channel, pbx = pair
    dead = b"511 Command Not Permitted on a dead channel or intercept routine\n"
    with pytest.raises(CallHungUp):
        await asyncio.gather(channel.answer(), pbx.expect(b"ANSWER\n", dead))
    assert channel.hung_up


async def test_eof_raises_call_hung_up(pair) -> None:
    channel, pbx = pair
    pbx.writer.close()
    with pytest.raises(CallHungUp):
        await channel.get_variable("CALLERID(num-pres)")


async def test_eof_in_the_middle_of_a_reply_raises_call_hung_up(pair) -> None:
    channel, pbx = pair
    pbx.writer.write(b"200 resu")
    pbx.writer.write_eof()
    with pytest.raises(CallHungUp):
        await channel.set_variable("CALLAUTH_RESULT", "verified")


async def test_exec_hangup_on_ringing_channel_returns_minus_one(pair) -> None:
    channel, pbx = pair
    result, _ = await asyncio.gather(
        channel.exec("Hangup", "21"), pbx.expect(b"EXEC Hangup 21\n", b"200 result=-1\nHANGUP\n")
    )
    assert result == -1
    # The HANGUP notice that followed is skipped before the next reply.
    value, _ = await asyncio.gather(
        channel.get_variable("CALLAUTH_RESULT"),
        pbx.expect(b"GET VARIABLE CALLAUTH_RESULT\n", b"200 result=1 (withheld)\n"),
    )
    assert value == "withheld" and channel.hung_up


async def test_silent_asterisk_times_out_as_a_hang_up(pair) -> None:
    channel, pbx = pair
    with pytest.raises(CallHungUp, match="no reply"):
        await channel.get_variable("CALLERID(num-pres)")


async def test_commands_on_the_call_stop_after_a_hangup_notice(pair) -> None:
    channel, pbx = pair
    channel.hung_up = True
    for command in (channel.answer(), channel.hangup(), channel.exec("Hangup", "21"),
                    channel.get_data("callauth/code", 5000, 4), channel.wait_for_digit(1000)):  # fmt: skip
        with pytest.raises(CallHungUp):
            await command
    pbx.writer.write_eof()
    channel.writer.write_eof()
    assert await pbx.reader.read() == b""  # nothing was sent


@pytest.mark.parametrize(
    "reply", [b"hello\n", b"\xff\xfe\n", b"200 endpos=0\n", b"510 Invalid or unknown command\n"]
)
async def test_garbage_reply_raises_protocol_error(pair, reply: bytes) -> None:
    channel, pbx = pair
    with pytest.raises(AgiProtocolError):
        await asyncio.gather(channel.verbose("x"), pbx.expect(b'VERBOSE "x" 1\n', reply))


async def test_usage_error_is_skipped_whole_and_raised(pair) -> None:
    channel, pbx = pair
    usage = b"520-Invalid command syntax.  Proper usage follows:\nUsage: ...\n520 End of proper usage.\n"
    with pytest.raises(AgiProtocolError):
        await asyncio.gather(channel.answer(), pbx.expect(b"ANSWER\n", usage))
    value, _ = await asyncio.gather(
        channel.get_variable("X"), pbx.expect(b"GET VARIABLE X\n", b"200 result=1 (y)\n")
    )
    assert value == "y"


async def test_trying_line_is_skipped(pair) -> None:
    channel, pbx = pair
    result, _ = await asyncio.gather(
        channel.exec("Wait", "0.1"),
        pbx.expect(b"EXEC Wait 0.1\n", b"100 result=0 Trying...\n200 result=0\n"),
    )
    assert result == 0


async def test_stream_file_reports_a_missing_prompt(pair) -> None:
    channel, pbx = pair
    result, _ = await asyncio.gather(
        channel.stream_file("callauth/verified"),
        pbx.expect(b'STREAM FILE callauth/verified ""\n', b"200 result=-1 endpos=0\n"),
    )
    assert result == -1


async def test_values_with_spaces_are_quoted(pair) -> None:
    channel, pbx = pair
    await asyncio.gather(
        channel.set_variable("NOTE", 'a "b" c'),
        pbx.expect(b'SET VARIABLE NOTE "a \\"b\\" c"\n', b"200 result=1\n"),
    )


def test_quote_keeps_plain_words_bare_and_refuses_line_breaks() -> None:
    assert quote("verified") == "verified"
    assert quote("") == '""'
    assert quote("a b") == '"a b"'
    with pytest.raises(ValueError):
        quote("ok\nHANGUP")
