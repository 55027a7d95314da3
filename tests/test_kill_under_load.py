"""The durability rule under load: a real `callauth serve` takes concurrent FastAGI calls
from the simulated Asterisk and is killed (SIGKILL) in the middle of them. Every call that
heard ``verified`` is, in the database opened afresh, logged verified and its challenge
verified by that very call: no call is told before its group commit has committed."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from callauth.db.models import NewHolder
from callauth.db.store import Store
from callauth.ivr import phone_policy
from callauth.ivr.config import Config
from callauth.ivr.simulator import call_spec, run_call
from tests.ports import free_ports
from tests.store_support import create_on

HOLDERS = 400
CONCURRENCY = 48
#: The server is killed once this many calls have heard ``verified``: well inside the load.
KILL_AFTER = 120


def _phone(i: int) -> str:
    return f"+8190{20_000_000 + i:08d}"


async def _seed(path: str) -> list[tuple[str, str, str]]:
    """Holders each with a pending login on a pool number: (caller, dialled, presentation)."""
    pool, rng = Config().telephony.auth_numbers_e164, random.Random(5)
    store = await Store.open(path)
    try:
        await store.add_holders(
            NewHolder(f"k{i}", "x", f"契約者 {i}", phone_e164=_phone(i)) for i in range(HOLDERS)
        )
        calls = []
        for i in range(HOLDERS):
            number = rng.choice(pool)
            await create_on(store, i + 1, f"s{i}", _phone(i), number, 3600)
            shown = "prohib" if i % 10 == 9 else "allowed"  # some withheld calls in the mix
            calls.append((phone_policy.domestic(_phone(i)), phone_policy.domestic(number), shown))
    finally:
        await store.close()
    return calls


def _start(path: str, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    agi, http = free_ports(2)
    log = open(folder / "serve.log", "wb")  # noqa: SIM115 (the process writes it)
    process = subprocess.Popen(
        [sys.executable, "-m", "callauth", "serve", "--db", path, "--agi", f"127.0.0.1:{agi}",
         "--http", f"127.0.0.1:{http}", "--admin", "127.0.0.1:0"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    deadline = time.monotonic() + 30
    while b"Web: http://" not in (folder / "serve.log").read_bytes():
        assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
        time.sleep(0.05)
    return process, agi


async def _load(calls: list[tuple[str, str, str]], port: int, pid: int) -> dict[str, str]:
    """Place the calls, CONCURRENCY at a time; SIGKILL the server mid-load. The uniqueid
    of every call that heard an outcome, with that outcome."""
    heard: dict[str, str] = {}
    queue = iter(calls)

    async def caller() -> None:
        for number, dialled, shown in queue:
            spec = call_spec(number, dialled, presentation=shown)
            try:
                async with asyncio.timeout(10):
                    result = await run_call("127.0.0.1", port, spec)
            except (OSError, TimeoutError):
                continue
            if result.outcome is not None:
                heard[spec.uniqueid] = result.outcome
            if list(heard.values()).count("verified") == KILL_AFTER:
                os.kill(pid, signal.SIGKILL)

    await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))
    return heard


async def test_every_call_told_verified_is_verified_after_a_sigkill(tmp_path: Path) -> None:
    path = str(tmp_path / "kill.db")
    calls = await _seed(path)
    process, port = _start(path, tmp_path)
    try:
        heard = await _load(calls, port, process.pid)
    finally:
        process.kill()
        process.wait(10)
    assert process.returncode == -signal.SIGKILL
    told = {uniqueid for uniqueid, outcome in heard.items() if outcome == "verified"}
    assert len(told) >= KILL_AFTER
    assert len(heard) < len(calls), "every call finished: the kill was not under load"
    with sqlite3.connect(path) as db:  # as the next start would: the WAL replayed
        rows = db.execute(
            "SELECT calls.uniqueid FROM calls JOIN challenges"
            " ON challenges.verified_call_id = calls.id AND challenges.state = 'verified'"
            " WHERE calls.outcome = 'verified' AND calls.challenge_id = challenges.id"
        ).fetchall()
    recorded = {row[0] for row in rows}
    assert told <= recorded, f"told verified but not recorded: {sorted(told - recorded)[:5]}"
