"""``db_pool`` is honoured by every command that opens the store, not only ``serve``: a
site whose role may hold one connection copies with ``CALLAUTH_DB_POOL=1``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from callauth.db.store import Store
from tests.conftest import FakeClock
from tests.pg_cluster import Cluster
from tests.test_cli_db import a_site

ROLE = "one_connection"


async def _limited(pg: Cluster, url: str) -> str:
    """``url``'s database for a role that may hold one connection at a time."""
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"DROP ROLE IF EXISTS {ROLE}")
        await conn.execute(f"CREATE ROLE {ROLE} LOGIN CONNECTION LIMIT 1")
        for grant in ("TABLES", "SEQUENCES"):
            await conn.execute(f"GRANT ALL ON ALL {grant} IN SCHEMA public TO {ROLE}")
    finally:
        await conn.close()
    return f"postgresql://{ROLE}@127.0.0.1:{pg.port}/{name}"


async def test_db_copy_keeps_to_the_pool_it_is_given(
    pg: Cluster, tmp_path: Path, clock: FakeClock
) -> None:
    await a_site(str(tmp_path / "callauth.db"), clock)
    url = await pg.new_database()
    try:
        limited = await _limited(pg, url)
        command = [sys.executable, "-m", "callauth", "db", "copy",
                   "--from", "sqlite:///callauth.db", "--to", limited]  # fmt: skip
        environment = {**os.environ, "CALLAUTH_DB_POOL": "1"}
        done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True,
                                       timeout=120, cwd=tmp_path, env=environment)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "every table's count matches" in done.stdout
        copied = await Store.open(url, clock)
        try:
            assert await copied.holder_by_login("demo") is not None
        finally:
            await copied.close()
    finally:
        await pg.drop(url)
        conn = await asyncpg.connect(pg.url("postgres"))
        try:
            await conn.execute(f"DROP ROLE IF EXISTS {ROLE}")
        finally:
            await conn.close()
