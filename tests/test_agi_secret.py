"""With ``agi_secret`` set, only a call that carries it (``agi_arg_1``) can verify.

Every local account on the PBX host reaches the FastAGI port from 127.0.0.1 and writes
its own header block, ``agi_context`` included; the secret, which only the dialplan's
root-readable include holds, is what tells Asterisk's calls from forged ones.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest

from callauth.db.models import ChallengeState
from callauth.db.store import Store
from callauth.ivr.config import Config, ConfigError
from tests.agi_support import (
    add_holder,
    call,
    challenge_state,
    dialled,
    fastagi,
    last_call,
    start_challenge,
)
from tests.store_support import create_on

SECRET = "s3cret-from-the-dialplan-0123456789"
RUN_TIMEOUT = 30.0


async def test_a_call_carrying_the_secret_verifies(store: Store) -> None:
    async with fastagi(store, agi_secret=SECRET) as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call(server, dialled=dialled(challenge), args=(SECRET,))
    assert result.outcome == "verified"
    assert await challenge_state(store, challenge.id) is ChallengeState.VERIFIED


@pytest.mark.parametrize(
    "args",
    [(), ("",), (SECRET[:-1],), (SECRET + "x",), (SECRET.upper(),), ("other", SECRET)],
    ids=["none", "empty", "short", "long", "case", "second-argument"],
)
async def test_a_call_without_the_right_secret_is_untrusted(
    store: Store, args: tuple[str, ...], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with fastagi(store, agi_secret=SECRET) as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call(server, dialled=dialled(challenge), args=args)
        assert result.outcome == "untrusted"
        assert not result.answered and result.hangup_cause == 21
        assert await last_call(store) == ("untrusted", "bad_agi_secret")
        assert await challenge_state(store, challenge.id) is ChallengeState.PENDING
        # The same challenge still verifies when the real dialplan calls.
        assert (await call(server, dialled=dialled(challenge), args=(SECRET,))).outcome == (
            "verified"
        )
    assert SECRET not in caplog.text and SECRET[:12] not in caplog.text


async def test_without_a_configured_secret_arguments_are_ignored(store: Store) -> None:
    async with fastagi(store) as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call(server, dialled=dialled(challenge), args=("anything",))
    assert result.outcome == "verified"


async def test_the_secret_does_not_make_an_internal_context_trusted(store: Store) -> None:
    async with fastagi(store, agi_secret=SECRET) as server:
        challenge = await start_challenge(server, await add_holder(store))
        result = await call(server, dialled=dialled(challenge), args=(SECRET,), context="internal")
    assert result.outcome == "untrusted"
    assert await last_call(store) == ("untrusted", "untrusted_context")


def test_the_secret_never_shows_in_the_config_repr() -> None:
    assert SECRET not in repr(Config.from_keys(agi_secret=SECRET))


@pytest.mark.parametrize("bad", ["short", "has,a comma-0123456789", "spaces in it 0123456789"])
def test_a_secret_that_cannot_travel_as_an_agi_argument_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="agi_secret") as caught:
        Config.from_keys(agi_secret=bad)
    assert bad not in str(caught.value)


async def callauth_call(port: int, config: Path | None, cwd: Path) -> tuple[int, str]:
    """``callauth call`` in a subprocess, as a local account on the PBX host runs it."""
    flags = ["--config", str(config)] if config else []
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callauth", "call", "--from", "09012345678",
        "--to", "0120111222", "--agi", f"127.0.0.1:{port}", *flags, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(RUN_TIMEOUT):
        out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode().strip()


async def test_callauth_call_sends_the_secret_only_to_who_can_read_the_config(
    store: Store, tmp_path: Path
) -> None:
    config = tmp_path / "callauth.toml"
    config.write_text(f'agi_secret = "{SECRET}"\nauth_numbers = ["0120111222"]\n')
    async with fastagi(store, agi_secret=SECRET, auth_numbers=("0120111222",)) as server:
        holder = await add_holder(store)
        await start_challenge(server, holder, session="without-config")
        assert await callauth_call(server.port, None, tmp_path) == (1, "untrusted")
        assert await last_call(store) == ("untrusted", "bad_agi_secret")
        assert await callauth_call(server.port, config, tmp_path) == (0, "verified")


async def test_classic_agi_needs_no_secret_since_asterisk_starts_it(
    db_path: str, tmp_path: Path
) -> None:
    from tests.test_agi_script import classic_header, run_script, state_and_call, write_config

    store = await Store.open(db_path)
    try:
        holder = await add_holder(store)
        challenge = await create_on(store, holder.id, "s1", "+819012345678", "+81312345678", 120)
    finally:
        await store.close()
    config = write_config(tmp_path / "callauth.toml", f'agi_secret = "{SECRET}"\n')
    header = classic_header("fastagi-allowed.txt")
    run = await run_script(header, "allowed", "--db", db_path, "--config", str(config))
    assert run.outcome == "verified", run.stderr
    assert (await state_and_call(db_path, challenge))[0] is ChallengeState.VERIFIED
