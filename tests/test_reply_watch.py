"""One reply timer per call (ivr/reply_watch.py): each reply is still due at its own
command's deadline, whatever the deadlines before it, and no timer outlives the call."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator

import pytest

from callauth.ivr.agi_channel import AgiChannel, CallHungUp
from callauth.ivr.reply_watch import ReplyWatch
from tests.agi_channel_support import Asterisk, channel_pair

#: Far below the 60 s playback allowance the first command of a test has: a reply timed
#: from that command's deadline instead of its own would be stopped by this guard.
GUARD = 10.0


@pytest.fixture
async def pair() -> AsyncIterator[tuple[AgiChannel, Asterisk]]:
    async with channel_pair() as found:
        yield found


async def test_a_short_deadline_after_a_long_one_is_kept(pair) -> None:
    channel, pbx = pair
    # EXEC may take 60 s more (the prompt plays), so the timer was first armed far out.
    _, result = await asyncio.gather(
        pbx.expect(b"EXEC Playback callauth/verified\n", b"200 result=0\n"),
        channel.exec("Playback", "callauth/verified"),
    )
    assert result == 0
    async with asyncio.timeout(GUARD):
        with pytest.raises(CallHungUp, match="no reply in time"):
            await channel.get_variable("CALLERID(num-pres)")  # 0.5 s, and no reply


async def test_a_reply_is_timed_from_its_own_command_not_the_first(pair) -> None:
    channel, pbx = pair
    channel.command_timeout = 2.0
    await asyncio.gather(
        pbx.expect(b"GET VARIABLE A\n", b"200 result=1 (a)\n"), channel.get_variable("A")
    )
    await asyncio.sleep(1.2)

    async def late_reply() -> None:
        assert await pbx.reader.readline() == b"GET VARIABLE B\n"
        await asyncio.sleep(1.3)  # past the first command's deadline, within its own
        pbx.writer.write(b"200 result=1 (b)\n")

    _, value = await asyncio.gather(late_reply(), channel.get_variable("B"))
    assert value == "b"


async def test_after_a_reply_never_came_the_next_command_ends_the_call_at_once(pair) -> None:
    channel, pbx = pair
    with pytest.raises(CallHungUp, match="no reply in time"):
        await channel.get_variable("A")
    async with asyncio.timeout(GUARD):
        with pytest.raises(CallHungUp):
            await channel.set_variable("CALLAUTH_RESULT", "error")


async def test_no_timer_keeps_a_finished_call_alive() -> None:
    loop = asyncio.get_running_loop()
    watch = ReplyWatch(asyncio.StreamReader())
    watch.expect(loop.time() + 60)
    watch.received()
    watch.end()
    gone = weakref.ref(watch)
    del watch
    gc.collect()
    assert gone() is None  # without end(), the armed timer would hold it for 60 s
