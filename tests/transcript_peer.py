"""Both ends of a FastAGI test call over real TCP, for running an :class:`AgiChannel` script.

``channel_server`` is our side: it accepts one call and runs a script on a typed channel.
``play_transcript`` is Asterisk's side from a recording: it sends the recorded bytes, each
run of ``>>`` lines after the client's command before it, so an asynchronous ``HANGUP``
arrives exactly where real Asterisk sent it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from callauth.ivr.agi_channel import AgiChannel
from tests.fixture_transcripts import Transcript

Script = Callable[[AgiChannel], Awaitable[Any]]


@contextlib.asynccontextmanager
async def channel_server(script: Script) -> AsyncIterator[tuple[int, asyncio.Future[Any]]]:
    """A FastAGI port whose first call runs ``script``; the future holds what it returned."""
    outcome: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\n\n")).decode()[:-2]
            headers = dict(line.split(": ", 1) for line in head.split("\n"))
            channel = AgiChannel(None, headers, reader, writer, peer="127.0.0.1",
                                 command_timeout=2.0)  # fmt: skip
            outcome.set_result(await script(channel))
        except Exception as exc:  # the test awaits the future and sees it
            if not outcome.done():
                outcome.set_exception(exc)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], outcome
    finally:
        server.close()
        await server.wait_closed()


async def play_transcript(port: int, transcript: Transcript) -> list[bytes]:
    """Be the recorded Asterisk; returns the lines the client sent.

    Stops early, without error, when the client closes or goes off the recorded script:
    the caller compares the lines returned with the recording.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent: list[bytes] = []
    try:
        writer.write(transcript.header)
        for way, data in transcript.dialogue:
            if way == ">>":
                writer.write(data)
                continue
            await writer.drain()
            line = await reader.readline()
            if not line:
                return sent  # the client stopped before the recorder did
            sent.append(line)
            if line != data:
                return sent
        await writer.drain()
        # The recording is over; anything else the client sends is off script.
        while line := await reader.readline():
            sent.append(line)
    except (ConnectionError, OSError):
        pass  # the client closed while we wrote: what it sent is already in `sent`
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    return sent
