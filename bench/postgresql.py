"""The saturation and call → browser rows again, with `callauth serve` on PostgreSQL.

A cluster of Debian's server on this machine, in a temporary folder (tests/pg_cluster.py),
with the server's own durability defaults (``fsync``, ``synchronous_commit = on``,
``full_page_writes``): a COMMIT returns once its WAL is on disk, so a call answered
``verified`` survives a crash of the server or a power cut (on a disk that honours a
flush). That is more than SQLite's WAL with ``synchronous = NORMAL`` promises (a power
cut may lose its last commits). Never ``synchronous_commit = off``: a crash of the server
itself would then lose commits a caller was already told about. None when the server is
not installed.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from typing import Any

from bench import processes
from bench.seed import build
from tests import pg_cluster

SETTINGS = ("listen_addresses=127.0.0.1", "max_connections=100")


def measure(sizes: Any, folder: str, rng: random.Random) -> dict[str, Any] | None:
    if pg_cluster.binaries() is None:
        return None
    cluster = pg_cluster.start_cluster(SETTINGS)
    try:
        url = asyncio.run(cluster.create("bench"))
        plan = asyncio.run(build(url, sizes.big_holders, sizes.pending, sizes.browsers))
        saturation = os.path.join(folder, "pg-sat.json")
        with open(saturation, "w", encoding="utf-8") as file:
            json.dump(plan.mix(sizes.saturation_calls, rng), file)
        plan_path = os.path.join(folder, "pg-plan.json")
        plan.save(plan_path)
        r: dict[str, Any] = {}
        with processes.serve(url, folder) as server:
            r["sat"] = processes.loadgen(server.agi, saturation, concurrency=sizes.concurrency)
        with processes.serve(url, folder) as server:
            r["push"] = processes.browsers(server, plan_path, sizes.browsers,
                                           sizes.browser_calls, sizes.browser_rate)  # fmt: skip
        return r
    finally:
        pg_cluster.stop_cluster(cluster)
