"""The bench measures PostgreSQL as a site would run it: its server keeps the durable
defaults, so a call answered ``verified`` is on disk (never ``synchronous_commit = off``)."""

from __future__ import annotations

import asyncpg

from bench import postgresql
from tests import pg_cluster


async def test_the_bench_server_commits_durably(pg: pg_cluster.Cluster) -> None:
    cluster = pg_cluster.start_cluster(postgresql.SETTINGS)
    try:
        conn = await asyncpg.connect(cluster.url("postgres"))
        try:
            shown = {name: await conn.fetchval(f"SHOW {name}")
                     for name in ("fsync", "synchronous_commit", "full_page_writes")}  # fmt: skip
        finally:
            await conn.close()
    finally:
        pg_cluster.stop_cluster(cluster)
    assert shown == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
