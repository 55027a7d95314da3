"""The AMI client against a scripted Asterisk over real TCP (tests/fixtures/ami-*.txt)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from callauth.db.models import CallEnd
from callauth.db.store import Store
from callauth.ivr.ami import AmiClient, start_ami
from callauth.ivr.config import Address, Config
from callauth.ivr.pbx_state import PbxCollector, PbxState
from callauth.ivr.simulated_scenarios import scenario
from tests.agi_support import call_spec, fastagi
from tests.ami_support import AmiScript, ScriptedAmi

#: The call of fastagi-reject-unanswered / ami-reject-unanswered: its AGI channel.
DIALLED = "0312340003"
AGI_UNIQUEID = "1795548258.35"
WAIT = 5.0


def ami_config(port: int, **changes: Any) -> Config:
    settings: dict[str, Any] = {
        "ami_enabled": True,
        "ami": Address("127.0.0.1", port),
        "ami_user": "ivr",  # the user the fixtures were recorded with
        "ami_secret": "secret",
        "ami_retry_min": 0.05,
        "ami_retry_max": 0.2,
        "ami_login_retry": 0.25,
        "auth_numbers": (DIALLED,),
    }
    return Config.from_keys(**(settings | changes))


async def until(condition: Callable[[], bool], what: str) -> None:
    """Poll the client's counters (plain attributes, nothing to await) for at most WAIT s."""
    try:
        async with asyncio.timeout(WAIT):
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not within {WAIT} s: {what}") from None


@contextlib.asynccontextmanager
async def scripted_ami(**kwargs: Any) -> AsyncIterator[ScriptedAmi]:
    server = ScriptedAmi(AmiScript.from_fixtures(), **kwargs)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def ami_client(config: Config, store: Store | None = None, **kwargs: Any):
    client = AmiClient(config.ami, config.telephony.auth_numbers_e164, PbxState(), store, **kwargs)
    client.start()
    try:
        yield client
    finally:
        await client.stop()


async def test_login_and_events_complete_the_logged_call(store: Store, clock) -> None:
    # The FastAGI side logs the call first (same uniqueid as the AMI recording).
    async with fastagi(store, auth_numbers=(DIALLED,)) as agi:
        result = await call_spec(agi, scenario("reject-unanswered", uniqueid=AGI_UNIQUEID))
    assert result.outcome == "withheld"
    clock.advance(1)
    async with scripted_ami() as server, ami_client(ami_config(server.port), store) as client:
        state = client.state
        await until(lambda: state.calls_completed == 1, "the call completed")
        assert state.connected and state.asterisk_version == "11.0.0"
        assert state.events == len(server.script.events)
        # Newchannel on the dialled number: caller-sim ;1 ;2 and auth-in ;1 ;2.
        assert state.calls_followed == 4
        assert [(a["username"], a["events"]) for a in server.logins] == [("ivr", "system,call")]
    assert await store.call_end(AGI_UNIQUEID) == CallEnd(
        AGI_UNIQUEID, clock.now, 21, "Call Rejected"
    )
    assert not state.connected


async def test_asterisk_restart_reconnects(store: Store) -> None:
    async with scripted_ami() as server, ami_client(ami_config(server.port), store) as client:
        state = client.state
        await until(lambda: state.connected, "logged in")
        await server.stop()
        await until(lambda: not state.connected, "the loss noticed")
        await until(lambda: state.connect_failures >= 1, "a refused reconnect")
        await server.start()
        await until(lambda: state.connected, "logged in again")
        assert (state.logins, state.reconnects) == (2, 1)
        assert state.last_error == "" and len(server.logins) == 2


async def test_bad_credentials_are_an_error_and_retried_slowly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="callauth.ivr.ami")
    async with scripted_ami() as server:
        server.close_after_refusal = 0.05
        config = ami_config(server.port, ami_secret="wrong")
        async with ami_client(config) as client:
            state = client.state
            await until(lambda: state.login_failures == 1, "the refusal")
            started = time.monotonic()
            assert not state.connected and state.retry_in == config.ami.login_retry
            assert state.last_error == "login refused: Authentication failed"
            await until(lambda: len(server.logins) == 3, "two more tries")
            elapsed = time.monotonic() - started
    # ami_login_retry between tries (not ami_retry_min, not panoramisk's fixed 2 s loop).
    assert elapsed >= 2 * config.ami.login_retry - 0.05  # less the polling lag
    assert state.logins == 0 and state.login_failures >= 2
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and "refused (Authentication failed)" in errors[0].getMessage()


async def test_unreachable_asterisk_backs_off_and_stays_down() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = ami_config(port)
    async with ami_client(config) as client:
        state = client.state
        started = time.monotonic()
        await until(lambda: state.connect_failures == 4, "four attempts")
        elapsed = time.monotonic() - started
        # Waits of 0.05, 0.1, 0.2 s came between them, and the wait stays capped.
        assert elapsed >= 0.05 + 0.1 + 0.2 - 0.05  # less the polling lag
        await until(lambda: state.retry_in is not None, "the next wait")
        assert state.retry_in == config.ami.retry_max
        assert not state.connected and "cannot connect" in state.last_error


async def test_a_peer_that_stops_answering_pings_is_dropped_and_redialled(store: Store) -> None:
    async with scripted_ami(answer_pings=False) as server:
        async with ami_client(ami_config(server.port), store, ping_interval=0.1) as client:
            state = client.state
            await until(lambda: state.reconnects >= 1, "a reconnect after silent pings")
            assert len(server.logins) >= 2


async def test_a_failing_event_handler_does_not_drop_the_connection(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    async with scripted_ami() as server, ami_client(ami_config(server.port), store) as client:

        def broken(manager: Any, event: Any) -> None:
            raise RuntimeError("handler bug")

        async def broken_later(manager: Any, event: Any) -> None:
            raise RuntimeError("async handler bug")

        # Before the client's own Newchannel handler, which must still run.
        client.callbacks["Newchannel"][:0] = [broken, broken_later]
        state = client.state
        await until(lambda: state.events == len(server.script.events), "every event")
        assert state.connected and state.reconnects == 0 and state.calls_followed == 4
        logged = lambda: [r for r in caplog.records if "async handler bug" in str(r.exc_info)]  # noqa: E731
        await until(lambda: len(logged()) == 4, "each failed coroutine logged")


async def test_stop_ends_reconnecting_for_good() -> None:
    async with scripted_ami() as server:
        config = ami_config(server.port)
        client = AmiClient(config.ami, config.telephony.auth_numbers_e164, PbxState())
        client.start()
        await until(lambda: client.state.connected, "logged in")
        await client.stop()
        await asyncio.sleep(0.3)  # longer than ami_retry_min: a stray reconnect would show
    assert len(server.logins) == 1 and not client.state.connected


async def test_start_ami_is_off_unless_enabled(store: Store) -> None:
    state = PbxState()
    assert await start_ami(Config(), state, store) is None
    assert state.snapshot()["status"] == "off"


def test_state_for_healthz_and_metrics() -> None:
    state = PbxState(enabled=True, connected=True, last_event_at=100.0, reconnects=2, events=7)
    snap = state.snapshot(now=103.0)
    assert snap["status"] == "connected" and snap["last_event_age"] == 3.0
    names = {m.name: m.samples[0].value for m in PbxCollector(state).collect()}
    assert names["callauth_ami_connected"] == 1 and names["callauth_ami_reconnects"] == 2
    assert names["callauth_ami_events"] == 7


async def test_complete_call_fills_the_first_hangup_only(store: Store, clock) -> None:
    async with fastagi(store, auth_numbers=(DIALLED,)) as agi:
        await call_spec(agi, scenario("reject-unanswered", uniqueid=AGI_UNIQUEID))
    assert await store.call_end(AGI_UNIQUEID) is None
    assert await store.complete_call(AGI_UNIQUEID, 21, "Call Rejected", clock.now)
    assert not await store.complete_call(AGI_UNIQUEID, 16, "Normal Clearing", clock.now + 5)
    assert not await store.complete_call("no-such-channel", 16, "Normal Clearing", clock.now)
    assert await store.call_end(AGI_UNIQUEID) == CallEnd(
        AGI_UNIQUEID, clock.now, 21, "Call Rejected"
    )
