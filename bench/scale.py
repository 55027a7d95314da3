"""Decision latency in-process: the service's whole per-call work (store lookups, the
decision, the call log and the guarded update) without sockets, against one database.

    python -m bench.scale --db bench.db --calls calls.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from bench.stats import summary
from callauth.db.store import Store
from callauth.ivr.config import Config
from callauth.ivr.service import AgiCall, VerificationService


def env_of(caller: str, dialled: str, presentation: str, n: int) -> dict[str, str]:
    return {
        "agi_uniqueid": f"1800000000.{n}",
        "agi_channel": f"Local/{dialled}@auth-in-{n:08x};2",
        "agi_callerid": caller,
        "agi_callingpres": "35" if presentation == "prohib" else "0",
        "agi_dnid": "unknown",
        "agi_extension": dialled,
        "agi_context": "auth-in",
    }


async def measure(db: str, calls: list[list[str]]) -> dict[str, Any]:
    store = await Store.open(db)
    try:
        service = VerificationService(store, Config(db=db))
        latencies = []
        outcomes: dict[str, int] = {}
        for n, (caller, dialled, presentation) in enumerate(calls):
            num_pres = "prohib" if presentation == "prohib" else "allowed_not_screened"
            call = AgiCall(env_of(caller, dialled, presentation, n), num_pres, "127.0.0.1")
            started = time.perf_counter()
            decision = await service.handle_call(call)
            latencies.append((time.perf_counter() - started) * 1e6)
            outcomes[decision.outcome.value] = outcomes.get(decision.outcome.value, 0) + 1
        return {"decision_us": summary(latencies), "outcomes": outcomes}
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument(
        "--calls", required=True, help="JSON list of [caller, dialled, presentation]"
    )
    args = parser.parse_args()
    with open(args.calls, encoding="utf-8") as file:
        calls = json.load(file)
    print(json.dumps(asyncio.run(measure(args.db, calls))))


if __name__ == "__main__":
    main()
