"""Before and after, side by side: ``python -m bench.compare --before OTHER/.venv/bin/python``.

The same `callauth serve` measurements for two checkouts, each server run by its own
checkout's interpreter (``--before``: the other checkout's venv; ``--after``: this one's
by default), on copies of one store, with the same calls, in alternating rounds. The
machine here moves by more between hours (±12%) than most changes do, so only a
comparison within one run says whether a change helped. Prints one table: the server's
CPU time per call at a fixed rate and its calls per second at saturation, each side's
median over the rounds, and the ratio after / before.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass

from bench import processes
from bench.seed import build


@dataclass(frozen=True)
class Sizes:
    holders: int
    pending: int  # enough for every verified call of all runs: each verifies once
    cpu_runs: int  # fixed-rate runs per side and round
    cpu_calls: int
    cpu_rate: float
    saturation_calls: int
    concurrency: int
    rounds: int


FULL = Sizes(100_000, 14_000, 3, 2500, 500.0, 5000, 64, 4)
TINY = Sizes(2000, 300, 1, 40, 100.0, 80, 8, 2)


@dataclass
class Side:
    name: str
    python: str
    cpu_ms: list[float]
    calls_per_s: list[float]


def _copy(seed: str, folder: str) -> str:
    """A fresh copy of the seeded store: every server starts from the same rows."""
    db = os.path.join(folder, "run.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
        if os.path.exists(seed + suffix):
            shutil.copy(seed + suffix, db + suffix)
    return db


def _measure(side: Side, seed: str, folder: str, cpu_files: list[str], saturation: str,
             sizes: Sizes) -> None:  # fmt: skip
    with processes.serve(_copy(seed, folder), folder, side.python) as server:
        for path in cpu_files:
            report = processes.cpu_per_call(server, path, sizes.cpu_rate)
            side.cpu_ms.append(report["cpu_ms_per_call"])
        sat = processes.loadgen(server.agi, saturation, concurrency=sizes.concurrency)
        side.calls_per_s.append(sat["calls_per_s"])


def run(sizes: Sizes, before: str, after: str, folder: str) -> list[Side]:
    seed = os.path.join(folder, "seed.db")
    plan = asyncio.run(build(seed, sizes.holders, sizes.pending, 0))
    rng = random.Random(42)

    def calls_file(name: str, count: int) -> str:
        path = os.path.join(folder, f"{name}.json")
        with open(path, "w", encoding="utf-8") as file:
            json.dump(plan.mix(count, rng), file)
        return path

    cpu_files = [calls_file(f"cpu{i}", sizes.cpu_calls) for i in range(sizes.cpu_runs)]
    saturation = calls_file("sat", sizes.saturation_calls)
    sides = [Side("before", before, [], []), Side("after", after, [], [])]
    for round_ in range(sizes.rounds):
        for side in sides if round_ % 2 == 0 else sides[::-1]:
            print(f"compare: round {round_ + 1}, {side.name} …", file=sys.stderr, flush=True)
            _measure(side, seed, folder, cpu_files, saturation, sizes)
    return sides


def table(sizes: Sizes, before: Side, after: Side) -> str:
    cpu_b, cpu_a = statistics.median(before.cpu_ms), statistics.median(after.cpu_ms)
    sat_b, sat_a = statistics.median(before.calls_per_s), statistics.median(after.calls_per_s)
    spread = (max(before.cpu_ms + after.cpu_ms) - min(before.cpu_ms + after.cpu_ms)) / cpu_b
    return "\n".join([
        "| measure | before | after | after / before |",
        "| --- | --- | --- | --- |",
        f"| server CPU time per call at {sizes.cpu_rate:.0f} calls/s (median of"
        f" {len(before.cpu_ms)} runs) | {cpu_b:.3f} ms | {cpu_a:.3f} ms | {cpu_a / cpu_b:.3f} |",
        f"| calls/s at saturation (median of {len(before.calls_per_s)} runs) | {sat_b:,.0f} |"
        f" {sat_a:,.0f} | {sat_a / sat_b:.3f} |",
        f"| spread of all CPU runs, both sides | {spread:.1%} of before's median | — | — |",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--before",
        required=True,
        metavar="PYTHON",
        help="the interpreter of the checkout before (its .venv/bin/python)",
    )
    parser.add_argument(
        "--after",
        default=sys.executable,
        metavar="PYTHON",
        help="the interpreter of the checkout after (default: this one)",
    )
    parser.add_argument("--tiny", action="store_true", help="seconds-long smoke run (CI)")
    args = parser.parse_args()
    sizes = TINY if args.tiny else FULL
    for python in (args.before, args.after):
        if not os.access(python, os.X_OK):
            parser.error(f"{python}: not an interpreter that can be run")
    with tempfile.TemporaryDirectory(prefix="callauth-compare-") as folder:
        before, after = run(sizes, args.before, args.after, folder)
    print(table(sizes, before, after))
    if args.tiny:  # /proc counts CPU in 10 ms ticks: a few dozen calls cannot be compared
        print("\n(tiny run: a smoke test of the code, its numbers say nothing)")


if __name__ == "__main__":
    main()
