"""``callauth-agi`` as Asterisk runs it: a subprocess fed over pipes, one call each.

The header block is the recorded one (tests/fixtures/fastagi-*.txt) as a classic AGI
sees it (no ``agi_network*`` lines, ``agi_request`` is the script); commands are answered
by the simulated channel, without ``HANGUP`` lines (classic AGI gets SIGHUP instead, and
the dialplan sets ``AGISIGHUP=no``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from callauth.db.models import Challenge, ChallengeState
from callauth.db.store import Store
from callauth.ivr.simulated_channel import SimulatedChannel
from callauth.ivr.simulated_scenarios import SCENARIOS
from tests.agi_support import HOLDER_PHONE, add_holder
from tests.fixture_transcripts import read_transcript
from tests.store_support import create_on

AUTH_NUMBER = "0312345678"  # the DNIS of the recorded calls
RUN_TIMEOUT = 20.0


def classic_header(fixture: str, **changes: str) -> bytes:
    header = read_transcript(fixture).header.decode()
    header = re.sub(r"agi_network(_script)?: [^\n]*\n", "", header)
    header = re.sub(r"agi_request: [^\n]*", "agi_request: callauth-agi", header)
    for key, value in changes.items():
        header = re.sub(rf"{key}: [^\n]*", f"{key}: {value}", header)
    return header.encode()


@dataclass
class ScriptRun:
    returncode: int
    commands: list[str]
    channel: SimulatedChannel
    stderr: str

    @property
    def outcome(self) -> str | None:
        return self.channel.variables.get("CALLAUTH_RESULT")


async def run_script(
    header: bytes, scenario: str, *args: str, dtmf: tuple[str, ...] = ()
) -> ScriptRun:
    channel = SimulatedChannel(dataclasses.replace(SCENARIOS[scenario], dtmf=dtmf))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callauth.ivr.agi_script", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdin and process.stdout and process.stderr
    commands: list[str] = []
    try:
        async with asyncio.timeout(RUN_TIMEOUT):
            process.stdin.write(header)
            while (line := await process.stdout.readline()).endswith(b"\n"):
                commands.append(line.decode().rstrip("\n"))
                replies = [r for r in channel.respond(commands[-1]) if r != "HANGUP"]
                process.stdin.write("".join(f"{r}\n" for r in replies).encode())
                await process.stdin.drain()
            process.stdin.close()
            stderr = (await process.stderr.read()).decode()
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    with contextlib.suppress(OSError):
        await process.stdin.wait_closed()
    assert process.returncode is not None
    return ScriptRun(process.returncode, commands, channel, stderr)


async def waiting_login(db_path: str, code: str | None = None) -> Challenge:
    """A holder of 090-1234-5678 waiting for a call to 03-1234-5678 (real clock)."""
    store = await Store.open(db_path)
    try:
        holder = await add_holder(store)
        return await create_on(store, holder.id, "s1", HOLDER_PHONE, "+81312345678", 120,
                               code=code)  # fmt: skip
    finally:
        await store.close()


@pytest.fixture
async def pending(db_path: str) -> Challenge:
    return await waiting_login(db_path)


def write_config(path: Path, text: str) -> Path:
    path.write_text(f'auth_numbers = ["{AUTH_NUMBER}"]\n{text}', encoding="utf-8")
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_config(tmp_path / "callauth.toml", "")


@pytest.fixture
def announce_config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "announce.toml", 'call_mode = "announce"\n')


@pytest.fixture
def bad_config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "bad.toml", "call_mode = 'shout'\n")


async def state_and_call(db_path: str, challenge: Challenge) -> tuple[ChallengeState, str]:
    store = await Store.open(db_path)
    try:
        found = await store.challenge(challenge.id)
        last = (await store.recent_calls(1))[0]
    finally:
        await store.close()
    assert found is not None
    return found.state, f"{last.outcome}/{last.reason}/{last.peer}"


async def test_verified_call_is_rejected_unanswered_with_normal_clearing(
    db_path: str, pending: Challenge, config_file: Path
) -> None:
    header = classic_header("fastagi-allowed.txt")
    run = await run_script(header, "allowed", "--db", db_path, "--config", str(config_file))
    assert run.returncode == 0, run.stderr
    assert run.outcome == "verified"
    assert run.commands == [
        'GET VARIABLE "CALLERID(num-pres)"',
        'SET VARIABLE "CALLAUTH_RESULT" "verified"',
        'EXEC Hangup "16"',
    ]
    assert not run.channel.answered and run.channel.cause == 16
    assert await state_and_call(db_path, pending) == (
        ChallengeState.VERIFIED, "verified/verified/127.0.0.1",
    )  # fmt: skip
    assert "09012345678" not in run.stderr  # the number is masked in the log


async def test_withheld_call_is_refused(
    db_path: str, pending: Challenge, config_file: Path
) -> None:
    header = classic_header("fastagi-prohibited.txt")
    run = await run_script(header, "prohibited", "--db", db_path, "--config", str(config_file))
    assert run.returncode == 0, run.stderr
    assert run.outcome == "withheld" and run.channel.cause == 21
    state, logged = await state_and_call(db_path, pending)
    assert state is ChallengeState.PENDING and logged.startswith("withheld/")


async def test_call_from_an_internal_context_is_untrusted(
    db_path: str, pending: Challenge, config_file: Path
) -> None:
    header = classic_header("fastagi-allowed.txt", agi_context="internal")
    run = await run_script(header, "allowed", "--db", db_path, "--config", str(config_file))
    assert run.returncode == 0, run.stderr
    assert run.outcome == "untrusted" and run.channel.cause == 21
    assert await state_and_call(db_path, pending) == (
        ChallengeState.PENDING, "untrusted/untrusted_context/127.0.0.1",
    )  # fmt: skip


async def test_announce_mode_answers_plays_and_hangs_up(
    db_path: str, pending: Challenge, announce_config: Path
) -> None:
    header = classic_header("fastagi-allowed.txt")
    run = await run_script(header, "allowed", "--db", db_path, "--config", str(announce_config))
    assert run.returncode == 0, run.stderr
    assert run.outcome == "verified" and run.channel.answered
    assert run.channel.played == ["callauth/verified"] and run.channel.cause == 16
    assert run.commands[-1] == 'EXEC Hangup "16"'  # a cause, not AGI HANGUP's none


async def test_announce_mode_refusal_ends_with_call_rejected(
    db_path: str, pending: Challenge, announce_config: Path
) -> None:
    header = classic_header("fastagi-prohibited.txt")
    run = await run_script(header, "prohibited", "--db", db_path, "--config",
                           str(announce_config))  # fmt: skip
    assert run.outcome == "withheld" and run.channel.answered
    assert run.commands[-1] == 'EXEC Hangup "21"' and run.channel.cause == 21


async def test_a_bad_config_tells_the_dialplan_error(bad_config: Path) -> None:
    header = classic_header("fastagi-allowed.txt")
    run = await run_script(header, "allowed", "--config", str(bad_config))
    assert run.returncode == 2 and run.outcome == "error"
    assert "call_mode" in run.stderr


@pytest.fixture
async def pending_with_code(db_path: str) -> Challenge:
    """As ``pending``, but its page shows the keypad code 4821."""
    return await waiting_login(db_path, code="4821")


async def test_the_script_asks_for_the_code_and_verifies_with_it(
    db_path: str, pending_with_code: Challenge, config_file: Path
) -> None:
    header = classic_header("fastagi-allowed.txt")
    run = await run_script(header, "allowed", "--db", db_path, "--config", str(config_file),
                           dtmf=("1111", "4821"))  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.outcome == "verified" and run.channel.answered
    assert [c for c in run.commands if c.startswith("GET DATA")] == [
        "GET DATA callauth/enter_code 5000 4",
        "GET DATA callauth/wrong_code 5000 4",
    ]
    assert run.channel.played[-1] == "callauth/verified"
    assert await state_and_call(db_path, pending_with_code) == (
        ChallengeState.VERIFIED, "verified/verified_with_code/127.0.0.1",
    )  # fmt: skip


async def test_the_script_verifies_nothing_on_wrong_codes(
    db_path: str, pending_with_code: Challenge, config_file: Path
) -> None:
    header = classic_header("fastagi-allowed.txt")
    run = await run_script(header, "allowed", "--db", db_path, "--config", str(config_file),
                           dtmf=("1111", "2222", "3333"))  # fmt: skip
    assert run.outcome == "not_matched"
    assert await state_and_call(db_path, pending_with_code) == (
        ChallengeState.PENDING, "not_matched/wrong_code/127.0.0.1",
    )  # fmt: skip


async def test_a_database_the_script_cannot_open_tells_the_dialplan_error(
    tmp_path: Path, config_file: Path
) -> None:
    header = classic_header("fastagi-allowed.txt")
    missing = str(tmp_path / "no-such-folder" / "callauth.db")
    run = await run_script(header, "allowed", "--db", missing, "--config", str(config_file))
    assert run.returncode == 0 and run.outcome == "error"
    assert run.channel.cause == 34  # SIP 503: try later
    assert "Traceback" not in run.stderr and "verification failed" in run.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--config", "/nonexistent/callauth.toml"), "configuration: config file:"),
        (("--no-such-option",), "bad arguments in the dialplan's AGI"),
    ],
)
async def test_a_config_or_command_line_it_cannot_use_is_error_in_one_line(
    args: tuple[str, ...], said: str
) -> None:
    run = await run_script(classic_header("fastagi-allowed.txt"), "allowed", *args)
    # Exit 2 is AGISTATUS=FAILURE; the dialplan's error branch goes first (CALLAUTH_RESULT).
    assert run.returncode == 2 and run.outcome == "error"
    assert run.commands == ['SET VARIABLE "CALLAUTH_RESULT" "error"']
    errors = [line for line in run.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and said in errors[0], run.stderr
    assert "Traceback" not in run.stderr


async def test_a_log_file_it_cannot_open_goes_to_stderr_and_the_call_still_runs(
    db_path: str, pending: Challenge, config_file: Path, tmp_path: Path
) -> None:
    log = str(tmp_path / "no-such-folder" / "agi.log")
    header = classic_header("fastagi-allowed.txt")
    run = await run_script(header, "allowed", "--db", db_path, "--config", str(config_file),
                           "--log", log)  # fmt: skip
    assert run.returncode == 0 and run.outcome == "verified"
    assert "cannot open the log file" in run.stderr and "Traceback" not in run.stderr
