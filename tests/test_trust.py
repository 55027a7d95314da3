"""Calls through an untrusted path never verify, however right the number and challenge.

The contexts come from the shipped ``asterisk-conf/`` so that the test follows the files
an admin installs: the internal phone's context, and the trunk's.
"""

from __future__ import annotations

import asyncio

import pytest

from callauth.db.models import ChallengeState
from callauth.db.store import Store
from callauth.ivr.simulator import call_spec as make_spec
from callauth.ivr.simulator import run_call
from tests.agi_support import CALL_TIMEOUT, HOLDER_CLI, add_holder, call, dialled, fastagi
from tests.agi_support import start_challenge as begin
from tests.asterisk_conf import read_sections


def endpoint_context(name: str) -> str:
    for section in read_sections("pjsip.conf"):
        if section.name == name and section.get("type") == "endpoint":
            return section.get("context") or ""
    raise AssertionError(f"pjsip.conf has no endpoint {name}")


INTERNAL = endpoint_context("test-phone")
TRUNK = endpoint_context("carrier")


async def last_call(store: Store) -> tuple[str, str, str]:
    last = (await store.recent_calls(1))[0]
    return last.outcome, last.reason, last.context


async def state(store: Store, challenge_id: int) -> ChallengeState:
    challenge = await store.challenge(challenge_id)
    assert challenge is not None
    return challenge.state


@pytest.mark.parametrize("channel_type", ["Local", "PJSIP"])
@pytest.mark.parametrize("context", [INTERNAL, f"{TRUNK}-test", TRUNK.upper(), ""])
async def test_call_outside_the_trunk_context_never_verifies(
    store: Store, channel_type: str, context: str
) -> None:
    async with fastagi(store) as server:
        challenge = await begin(server, await add_holder(store))
        result = await call(
            server, dialled=dialled(challenge), channel_type=channel_type, context=context
        )
        assert result.outcome == "untrusted"
        assert not result.answered and result.hangup_cause == 21
        assert await last_call(store) == ("untrusted", "untrusted_context", context)
        assert await state(store, challenge.id) is ChallengeState.PENDING
        # The same challenge verifies from the trunk: only the path was wrong.
        result = await call(server, dialled=dialled(challenge), context=TRUNK)
    assert result.outcome == "verified"
    assert await state(store, challenge.id) is ChallengeState.VERIFIED


async def test_call_from_a_fastagi_peer_not_allowed_never_verifies(store: Store) -> None:
    # 127.0.0.2 is this machine too, but not in the default allowed_peers (127.0.0.1, ::1).
    async with fastagi(store) as server:
        challenge = await begin(server, await add_holder(store))
        spec = make_spec(HOLDER_CLI, dialled(challenge), context=TRUNK)
        async with asyncio.timeout(CALL_TIMEOUT):
            result = await run_call("127.0.0.1", server.port, spec, local_addr=("127.0.0.2", 0))
        assert result.outcome == "untrusted"
        assert await last_call(store) == ("untrusted", "peer_not_allowed", TRUNK)
        assert (await store.recent_calls(1))[0].peer == "127.0.0.2"
        assert await state(store, challenge.id) is ChallengeState.PENDING


async def test_untrusted_call_in_announce_mode_plays_the_untrusted_prompt(store: Store) -> None:
    async with fastagi(store, call_mode="announce") as server:
        challenge = await begin(server, await add_holder(store))
        result = await call(server, dialled=dialled(challenge), context=INTERNAL)
    assert result.outcome == "untrusted" and result.played == ("callauth/untrusted",)
    assert await state(store, challenge.id) is ChallengeState.PENDING
