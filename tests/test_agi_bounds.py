"""No FastAGI peer holds the server: a deadline per call, a cap on open connections.

Every test talks to the real server over TCP; the peers here are hostile by design.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from callauth.db.store import Store
from callauth.ivr.agi_server import FastAgiServer
from callauth.ivr.simulated_scenarios import scenario
from callauth.ivr.simulator import header_block
from tests.agi_support import add_holder, call, close, dialled, fastagi, start_challenge

#: Guards the test against a server that never closes; far above every bound under test.
GUARD = 15.0
TRICKLE_EVERY = 0.2


async def trickle(server: FastAgiServer, line: bytes) -> int:
    """Send a header, then answer the first command with ``line`` every 0.2 s, for ever.

    Returns how many lines went out before the server closed the connection.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    sent = 0
    try:
        writer.write(header_block(scenario("allowed"), "127.0.0.1", server.port))
        await reader.readline()  # the first command
        async with asyncio.timeout(GUARD):
            while not reader.at_eof():
                writer.write(line)
                await writer.drain()
                sent += 1
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(TRICKLE_EVERY):
                        await reader.read(65536)  # b"" at EOF: the server closed
    except (ConnectionError, OSError):
        pass
    finally:
        await close(writer)
    return sent


@pytest.mark.parametrize("line", [b"100 result=0 Trying...\n", b"HANGUP\n"])
async def test_a_peer_trickling_lines_is_cut_at_the_call_deadline(
    store: Store, line: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="callauth.ivr")
    # Each line would have reset the old per-line reply timeout; the command's own
    # timeout (60 s) is out of reach, so only the 1 s deadline can end this call.
    async with fastagi(store, agi_call_deadline=1.0, agi_command_timeout=60.0) as server:
        sent = await trickle(server, line)
        assert sent >= 2  # the peer really was trickling when it was cut
        assert server.stats.deadline_exceeded == 1
        assert server.running_calls == 0
        # The server goes on serving real calls.
        challenge = await start_challenge(server, await add_holder(store))
        assert (await call(server, dialled=dialled(challenge))).outcome == "verified"
    assert any("deadline" in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


async def test_the_reply_timeout_counts_from_the_command_not_from_each_line(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="callauth.ivr")
    async with fastagi(store, agi_call_deadline=60.0, agi_command_timeout=1.0) as server:
        sent = await trickle(server, b"100 result=0 Trying...\n")
        assert sent >= 2
        assert server.stats.deadline_exceeded == 0  # the command's own timeout ended it
    assert any("no reply in time" in r.getMessage() for r in caplog.records)


async def idle_connection(
    server: FastAgiServer,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"agi_network: yes\n")  # a header that never ends
    await writer.drain()
    return reader, writer


async def closed_at_once(reader: asyncio.StreamReader) -> bool:
    try:
        async with asyncio.timeout(GUARD):
            return await reader.read(1) == b""
    except (ConnectionError, OSError):
        return True  # reset: closed just as well


async def until(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(GUARD):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_connections_over_the_cap_are_closed_at_once_and_counted(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="callauth.ivr")
    settings = {"agi_max_connections": 2, "agi_header_timeout": 60.0}
    async with fastagi(store, **settings) as server:
        held = [await idle_connection(server) for _ in range(2)]
        await until(lambda: server.running_calls == 2)
        third, third_writer = await idle_connection(server)
        assert await closed_at_once(third)
        fourth, fourth_writer = await idle_connection(server)
        assert await closed_at_once(fourth)
        assert server.stats.refused_over_cap == 2
        assert server.running_calls == 2  # the two held ones are untouched
        for _, writer in held + [(third, third_writer), (fourth, fourth_writer)]:
            await close(writer)
        await until(lambda: server.running_calls == 0)
        challenge = await start_challenge(server, await add_holder(store))
        assert (await call(server, dialled=dialled(challenge))).outcome == "verified"
    refusals = [r.getMessage() for r in caplog.records if "agi_max_connections" in r.getMessage()]
    assert len(refusals) == 1  # two refusals, one log line (rate-limited)


async def test_open_connections_and_both_counters_are_metrics(store: Store) -> None:
    settings = {"agi_max_connections": 1, "agi_header_timeout": 60.0}
    async with fastagi(store, **settings) as server:
        registry = CollectorRegistry()
        registry.register(server.collector())
        reader, writer = await idle_connection(server)
        await until(lambda: server.running_calls == 1)
        other, other_writer = await idle_connection(server)
        assert await closed_at_once(other)
        text = generate_latest(registry).decode()
        await close(writer)
        await close(other_writer)
    assert "callauth_fastagi_connections 1.0" in text
    assert "callauth_fastagi_refused_total 1.0" in text
    assert "callauth_fastagi_deadline_exceeded_total 0.0" in text
