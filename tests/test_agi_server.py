"""The FastAGI server survives hostile or broken peers and keeps serving real calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from callauth.db.store import Store
from callauth.ivr.agi_server import BadHeader, parse_header
from callauth.ivr.simulated_scenarios import scenario
from callauth.ivr.simulator import header_block
from tests.agi_support import add_holder, call, call_spec, close, dialled, fastagi, start_challenge


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    """True once the server has closed its end (EOF or reset)."""
    try:
        async with asyncio.timeout(3):
            while await reader.read(65536):
                pass
    except (ConnectionError, OSError):
        pass
    return True


async def _verified_call_completes(store: Store, server) -> None:
    holder = await store.holder_by_login("demo") or await add_holder(store)
    challenge = await start_challenge(server, holder, session=f"s{store.clock()}")
    result = await call(server, dialled=dialled(challenge))
    assert result.outcome == "verified"


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="callauth.ivr")
    return caplog


def _rejections(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records
        if r.name == "callauth.ivr.agi_server" and r.levelno == logging.WARNING
    ]  # fmt: skip


async def test_peer_that_closes_at_once_does_not_stop_other_calls(store, warnings) -> None:
    async with fastagi(store) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        await close(writer)
        await _verified_call_completes(store, server)
        await asyncio.sleep(0)
    assert any("before the header block ended" in m for m in _rejections(warnings))


async def test_peer_closing_mid_header_is_dropped(store, warnings) -> None:
    async with fastagi(store) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(header_block(scenario("allowed"), "127.0.0.1", server.port)[:200])
        await close(writer)
        await _verified_call_completes(store, server)
    assert any("closed after 200 bytes" in m for m in _rejections(warnings))


async def test_peer_sending_a_megabyte_without_blank_line_is_dropped(store, warnings) -> None:
    async with fastagi(store) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_network: yes\n" + b"x" * 1_000_000)
        with contextlib.suppress(ConnectionError, OSError):
            await writer.drain()
        assert await _closed_by_server(reader)
        await close(writer)
        await _verified_call_completes(store, server)
    assert any("without a blank line" in m for m in _rejections(warnings))


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\xff\xfe\x80binary\n\n", b"GET / HTTP/1.0\nHost: x\n\n", b"agi_network yes\n\n"],
)
async def test_peer_sending_garbage_is_dropped(store, warnings, garbage: bytes) -> None:
    async with fastagi(store) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(garbage)
        await writer.drain()
        assert await _closed_by_server(reader)
        await close(writer)
        await _verified_call_completes(store, server)
    assert any("bad header block" in m for m in _rejections(warnings))


async def test_peer_stalling_mid_header_is_dropped_after_the_timeout(store, warnings) -> None:
    async with fastagi(store, agi_header_timeout=0.3) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_network: yes\nagi_network_script: auth\n")
        await writer.drain()
        # Other calls go on while this peer stalls.
        await _verified_call_completes(store, server)
        assert await _closed_by_server(reader)
        await close(writer)
    assert any("no complete header block within 0.3s" in m for m in _rejections(warnings))


async def test_caller_hanging_up_mid_session_does_not_disturb_other_calls(store) -> None:
    async with fastagi(store) as server:
        holder = await add_holder(store)
        challenge = await start_challenge(server, holder)
        hung_up, other = await asyncio.gather(
            call(server, dialled="0120999999", hangup_after=1),
            call(server, caller="08011112222", dialled=dialled(challenge)),
        )
        assert hung_up.caller_hung_up and other.outcome == "not_matched"
        await _verified_call_completes(store, server)


async def test_unknown_script_is_refused(store, warnings) -> None:
    async with fastagi(store) as server:
        result = await call_spec(server, scenario("allowed", script="billing"))
        assert result.commands == [] and result.outcome is None
    assert any("unknown script 'billing'" in m for m in _rejections(warnings))


async def test_closing_the_server_cancels_running_calls(store) -> None:
    async with fastagi(store, agi_command_timeout=60) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(header_block(scenario("allowed"), "127.0.0.1", server.port))
        # The service asks for CALLERID(num-pres); this "Asterisk" never answers.
        assert await reader.readline() == b"GET VARIABLE CALLERID(num-pres)\n"
        assert server.running_calls == 1
        async with asyncio.timeout(3):
            await server.close()
        assert server.running_calls == 0
        assert await _closed_by_server(reader)
        await close(writer)


def test_header_parser_reads_asterisk_lines_and_refuses_others() -> None:
    block = header_block(scenario("allowed"), "127.0.0.1", 4573)
    headers = parse_header(block)
    assert headers["agi_accountcode"] == "" and headers["agi_network_script"] == "auth"
    with pytest.raises(BadHeader):
        parse_header(b"agi_network: yes\nnonsense\n\n")
