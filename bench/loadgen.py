"""Load generator: a separate process placing simulated Asterisk calls over real TCP.

    python -m bench.loadgen --agi 127.0.0.1:4573 --calls calls.json --concurrency 64
    python -m bench.loadgen --agi 127.0.0.1:4573 --calls calls.json --rate 200

Closed loop (``--concurrency``) finds the saturation throughput; open loop (``--rate``)
starts calls on a fixed schedule, whether or not earlier ones have finished, so that
queueing in the server shows up as latency. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from typing import Any

from bench.stats import summary
from callauth.ivr.simulator import call_spec, run_call

CALL_TIMEOUT = 30.0


async def _one(host: str, port: int, call: list[str], latencies: list[float]) -> str:
    caller, dialled, presentation = call
    spec = call_spec(caller, dialled, presentation=presentation)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(CALL_TIMEOUT):
            result = await run_call(host, port, spec)
    except (OSError, TimeoutError) as exc:
        return f"failed: {type(exc).__name__}"
    latencies.append(time.perf_counter() - started)
    return result.outcome or "none"


async def closed_loop(
    host: str, port: int, calls: list[list[str]], concurrency: int
) -> dict[str, Any]:
    latencies: list[float] = []
    queue = iter(calls)
    outcomes: Counter[str] = Counter()

    async def worker() -> None:
        for call in queue:
            outcomes[await _one(host, port, call, latencies)] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return _report(calls, time.perf_counter() - started, latencies, outcomes)


async def open_loop(host: str, port: int, calls: list[list[str]], rate: float) -> dict[str, Any]:
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks = []
    for i, call in enumerate(calls):
        delay = started + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(host, port, call, latencies)))
    for outcome in await asyncio.gather(*tasks):
        outcomes[outcome] += 1
    return _report(calls, loop.time() - started, latencies, outcomes)


def _report(
    calls: list[list[str]], seconds: float, latencies: list[float], outcomes: Counter[str]
) -> dict[str, Any]:
    return {
        "calls": len(calls),
        "seconds": seconds,
        "calls_per_s": len(calls) / seconds if seconds else 0.0,
        "latency_ms": summary([x * 1000 for x in latencies]),
        "outcomes": dict(outcomes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agi", required=True, metavar="HOST:PORT")
    parser.add_argument(
        "--calls", required=True, help="JSON list of [caller, dialled, presentation]"
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--concurrency", type=int)
    group.add_argument("--rate", type=float, help="calls started per second")
    args = parser.parse_args()
    host, _, port = args.agi.rpartition(":")
    with open(args.calls, encoding="utf-8") as file:
        calls = json.load(file)
    if args.rate:
        report = asyncio.run(open_loop(host, int(port), calls, args.rate))
    else:
        report = asyncio.run(closed_loop(host, int(port), calls, args.concurrency))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
