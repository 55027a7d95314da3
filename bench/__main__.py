"""Run every benchmark and print one markdown table: `python -m bench [--tiny]`.

Each measurement runs against real processes on loopback: `callauth serve` on an SQLite
file, the load generator in a second process, and the baselines in the same run so that
ratios compare like with like on this (shared, noisy) machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench import holder_import, postgresql, processes
from bench.seed import build
from bench.stats import table


@dataclass(frozen=True)
class Sizes:
    big_holders: int
    small_holders: int
    pending: int
    browsers: int
    saturation_calls: int
    rate_calls: dict[int, int]  # rate → calls placed at that rate
    browser_calls: int
    browser_rate: float
    scale_calls: int
    per_process_calls: int
    concurrency: int
    cpu_rate: float  # the fixed rate the CPU time per call is measured at
    cpu_calls: int
    import_holders: int = 100_000


FULL = Sizes(
    1_000_000, 10_000, 10_000, 5000, 5000, {200: 1000, 1000: 2000}, 2000, 100.0, 1000, 60, 64,
    500.0, 2500,
)  # fmt: skip
TINY = Sizes(
    3000, 1000, 700, 50, 200, {50: 50, 200: 100}, 30, 50.0, 50, 4, 16, 100.0, 100,
    import_holders=2000,
)  # fmt: skip


@contextlib.contextmanager
def _step(name: str) -> Iterator[None]:
    started = time.perf_counter()
    print(f"bench: {name} …", file=sys.stderr, flush=True)
    yield
    print(
        f"bench: {name} done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True
    )


def _calls_file(folder: str, name: str, calls: list[list[str]]) -> str:
    path = os.path.join(folder, f"{name}.json")
    with open(path, "w", encoding="utf-8") as file:
        json.dump(calls, file)
    return path


def _fresh(folder: str) -> tuple[str, str]:
    big, small = os.path.join(folder, "big.db"), os.path.join(folder, "small.db")
    for stale in (big, small):
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(stale + suffix)
    return big, small


def run(sizes: Sizes, folder: str) -> list[tuple[str, str, str, str]]:
    rng = random.Random(42)
    big, small = _fresh(folder)
    with _step(f"seeding {sizes.big_holders:,} holders"):
        plan = asyncio.run(build(big, sizes.big_holders, sizes.pending, sizes.browsers))
        small_plan = asyncio.run(build(small, sizes.small_holders, sizes.small_holders // 3, 0))
    # Each benchmark gets callers of its own: a verified challenge verifies once.
    saturation = _calls_file(folder, "sat", plan.mix(sizes.saturation_calls, rng))
    at_rate = {
        r: _calls_file(folder, f"rate{r}", plan.mix(n, rng)) for r, n in sizes.rate_calls.items()
    }
    at_cpu_rate = _calls_file(folder, "cpu", plan.mix(sizes.cpu_calls, rng))
    spawned_calls = plan.mix(sizes.per_process_calls, rng)
    scale_big = _calls_file(folder, "scale-big", plan.mix(sizes.scale_calls, rng))
    scale_small = _calls_file(folder, "scale-small", small_plan.mix(sizes.scale_calls, rng))
    plan_path = os.path.join(folder, "plan.json")
    plan.save(plan_path)
    r: dict[str, Any] = {}
    with _step("FastAGI saturation and fixed rates"), processes.serve(big, folder) as server:
        r["sat"] = processes.loadgen(server.agi, saturation, concurrency=sizes.concurrency)
        r["rates"] = {
            rate: processes.loadgen(server.agi, path, rate=rate) for rate, path in at_rate.items()
        }
        r["cpu"] = processes.cpu_per_call(server, at_cpu_rate, sizes.cpu_rate)
    with _step("panoramisk's bare Application"), processes.bare_panoramisk(folder) as bare:
        r["ceiling"] = processes.loadgen(bare.agi, saturation, concurrency=sizes.concurrency)
        r["bare_cpu"] = processes.cpu_per_call(bare, at_cpu_rate, sizes.cpu_rate)
    with _step("a pyst2 AGI script per call"):
        r["per_process"] = processes.process_per_call(big, spawned_calls)
    with _step(f"{sizes.browsers:,} waiting browsers"), processes.serve(big, folder) as server:
        r["push"] = processes.browsers(server, plan_path, sizes.browsers, sizes.browser_calls,
                                       sizes.browser_rate)  # fmt: skip
    with _step("decision latency by database size"):
        r["scale_small"] = processes.scale(small, scale_small)
        r["scale_big"] = processes.scale(big, scale_big)
    with _step(f"importing {sizes.import_holders:,} holders from CSV"):
        r["import"] = holder_import.measure(folder, sizes.import_holders)
    with _step("saturation and waiting browsers on PostgreSQL"):
        r["pg"] = postgresql.measure(sizes, folder, rng)
    print(json.dumps(r, indent=1), file=sys.stderr)
    return _rows(sizes, r, os.path.getsize(big) / 2**20)


def _ms(s: dict[str, float]) -> str:
    return f"p50 {s['p50']:.1f} / p99 {s['p99']:.1f} / max {s['max']:.1f} ms"


def _rows(sizes: Sizes, r: dict[str, Any], size_mib: float) -> list[tuple[str, str, str, str]]:
    ours, bare = r["sat"]["calls_per_s"], r["ceiling"]["calls_per_s"]
    spawned = r["per_process"]["calls_per_s"]
    verified_share = r["sat"]["outcomes"].get("verified", 0) / max(1, r["sat"]["calls"])
    rows = [
        (f"FastAGI calls/s at saturation ({sizes.big_holders:,} holders, mix 70/10/10/10)",
         f"{ours:,.0f} calls/s ({ours * verified_share:,.0f} verified/s)", "≥ 1,500 verified/s",
         _met(ours * verified_share >= 1500)),
        ("ratio to panoramisk's bare Application", f"{ours / bare:.2f} ({bare:,.0f} calls/s)",
         "≥ 0.80", _met(ours / bare >= 0.8)),
        ("ratio to a pyst2 AGI script spawned per call", f"{ours / spawned:.0f}× ({spawned:.1f} calls/s)",
         "≥ 40×", _met(ours / spawned >= 40)),
    ]  # fmt: skip
    rows.append(_cpu_row(sizes, r))
    for rate, report in r["rates"].items():
        ok = report["latency_ms"]["p99"] <= 10 if int(rate) <= 200 else None
        rows.append((f"per-call latency at {rate} calls/s", _ms(report["latency_ms"]),
                     "p99 ≤ 10 ms" if ok is not None else "—", _met(ok)))  # fmt: skip
    push = r["push"]
    rows += [
        (f"call → browser event, {push['browsers']:,} waiting, {sizes.browser_rate:.0f} calls/s",
         _ms(push["call_to_event_ms"]) + f", missed {push['missed']}", "p99 ≤ 100 ms",
         _met(push["call_to_event_ms"]["p99"] <= 100 and push["missed"] == 0)),
        ("server memory per waiting browser", f"{push['kib_per_browser']:.1f} KiB", "≤ 20 KiB",
         _met(push["kib_per_browser"] <= 20)),
        (f"decision latency, {sizes.small_holders:,} holders",
         _us(r["scale_small"]["decision_us"]), "flat", "—"),
        (f"decision latency, {sizes.big_holders:,} holders",
         _us(r["scale_big"]["decision_us"]), "flat",
         _met(r["scale_big"]["decision_us"]["p50"] <= 2 * r["scale_small"]["decision_us"]["p50"])),
        (f"`holders import` of {r['import']['holders']:,} new holders (CP932 CSV, letters)",
         f"{r['import']['import_s']:.1f} s (re-import unchanged {r['import']['reimport_s']:.1f} s)",
         "< 60 s" if r["import"]["holders"] >= 100_000 else "—",
         _met(r["import"]["import_s"] < 60) if r["import"]["holders"] >= 100_000 else "—"),
        ("database size per million holders",
         f"{size_mib * 1_000_000 / sizes.big_holders:,.0f} MiB", "—", "—"),
    ]  # fmt: skip
    return rows + _postgresql_rows(sizes, r["pg"])


def _postgresql_rows(sizes: Sizes, pg: dict[str, Any] | None) -> list[tuple[str, str, str, str]]:
    """The same two rows with the server on PostgreSQL (same machine, same plan)."""
    name = f"PostgreSQL: FastAGI calls/s at saturation ({sizes.big_holders:,} holders)"
    push_name = f"PostgreSQL: call → browser event, {sizes.browsers:,} waiting"
    if pg is None:
        return [(name, "not run (no PostgreSQL server installed)", "—", "—")]
    calls = pg["sat"]["calls_per_s"]
    verified = calls * pg["sat"]["outcomes"].get("verified", 0) / max(1, pg["sat"]["calls"])
    push = pg["push"]
    return [
        (name, f"{calls:,.0f} calls/s ({verified:,.0f} verified/s)", "—", "—"),
        (push_name, _ms(push["call_to_event_ms"]) + f", missed {push['missed']}", "p99 ≤ 100 ms",
         _met(push["call_to_event_ms"]["p99"] <= 100 and push["missed"] == 0)),
    ]  # fmt: skip


def _cpu_row(sizes: Sizes, r: dict[str, Any]) -> tuple[str, str, str, str]:
    ours, bare = r["cpu"]["cpu_ms_per_call"], r["bare_cpu"]["cpu_ms_per_call"]
    return (f"server CPU time per call at {sizes.cpu_rate:.0f} calls/s (mix 70/10/10/10)",
            f"{ours:.2f} ms (bare panoramisk {bare:.2f} ms): {ours / bare:.2f}×", "≤ 1.2×",
            _met(ours / bare <= 1.2))  # fmt: skip


def _us(s: dict[str, float]) -> str:
    return f"p50 {s['p50']:.0f} / p99 {s['p99']:.0f} µs"


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="seconds-long smoke run (CI)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep its files")
    args = parser.parse_args()
    sizes = TINY if args.tiny else FULL
    started = time.perf_counter()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        rows = run(sizes, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="callauth-bench-") as folder:
            rows = run(sizes, folder)
    print(table(rows))
    print(f"\n({'tiny' if args.tiny else 'full'} run, {time.perf_counter() - started:.0f} s,"
          f" {os.cpu_count()} CPUs)")  # fmt: skip


if __name__ == "__main__":
    main()
