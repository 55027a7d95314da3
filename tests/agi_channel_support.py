"""A typed FastAGI channel over a real loopback socket, with the PBX end scripted by the
test: what tests/test_agi_channel.py and tests/test_agi_keypad.py talk to."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from callauth.ivr.agi_channel import AgiChannel


@dataclass
class Asterisk:
    """The PBX end of the socket: reads each command, answers with scripted bytes."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def expect(self, command: bytes, reply: bytes) -> None:
        assert await self.reader.readline() == command
        self.writer.write(reply)
        await self.writer.drain()


@contextlib.asynccontextmanager
async def channel_pair() -> AsyncIterator[tuple[AgiChannel, Asterisk]]:
    """A channel (command timeout 0.5 s) and the Asterisk end of its socket."""
    accepted: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accepted.put((reader, writer))

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pbx_reader, pbx_writer = await asyncio.open_connection("127.0.0.1", port)
    reader, writer = await accepted.get()
    headers = {"agi_uniqueid": "1795548228.3"}
    channel = AgiChannel(None, headers, reader, writer, peer="127.0.0.1", command_timeout=0.5)
    try:
        yield channel, Asterisk(pbx_reader, pbx_writer)
    finally:
        for w in (writer, pbx_writer):
            w.close()
            try:
                await w.wait_closed()
            except (ConnectionError, OSError):
                pass
        server.close()
        await server.wait_closed()
