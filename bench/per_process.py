"""The classic approach: one process per call running an AGI script over stdin/stdout,
as Asterisk's ``AGI(script)`` does — here our pyst2 entry point, ``callauth-agi``."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

from callauth.ivr.simulated_channel import SimulatedChannel
from callauth.ivr.simulator import call_spec, header_block

#: Asterisk would spawn as many as calls arrive; the machine has this many cores to run them.
CONCURRENCY = os.cpu_count() or 2


async def _one(db: str, call: list[str]) -> str | None:
    caller, dialled, presentation = call
    spec = call_spec(caller, dialled, presentation=presentation)
    channel = SimulatedChannel(spec)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callauth.ivr.agi_script", "--db", db,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(header_block(spec, "127.0.0.1", 0))
    while line := await process.stdout.readline():
        for reply in channel.respond(line.decode().rstrip("\n")):
            process.stdin.write(reply.encode() + b"\n")
        try:
            await process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            break
    process.stdin.close()
    await process.wait()
    return channel.variables.get("CALLAUTH_RESULT")


async def _measure(db: str, calls: list[list[str]]) -> dict[str, Any]:
    queue = iter(calls)
    outcomes: dict[str, int] = {}

    async def worker() -> None:
        for call in queue:
            outcome = str(await _one(db, call))
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    seconds = time.perf_counter() - started
    return {"calls": len(calls), "seconds": seconds, "calls_per_s": len(calls) / seconds,
            "outcomes": outcomes}  # fmt: skip


def measure(db: str, calls: list[list[str]]) -> dict[str, Any]:
    return asyncio.run(_measure(db, calls))
