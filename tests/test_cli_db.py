"""`callauth db migrate` and `callauth db copy`: a site's SQLite file moved to a real
PostgreSQL database (and back), every row and id kept, the counts checked, a second copy
refused."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from callauth import demo
from callauth.db.models import ChallengeState, NewHolder
from callauth.db.outbox import Outbox
from callauth.db.store import Store
from tests.conftest import FakeClock
from tests.pg_cluster import Cluster
from tests.store_support import create_on
from tests.test_store import AUTH, PHONE, a_call


async def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "callauth", "db", *args]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=120, cwd=cwd
    )


async def a_site(path: str, clock: FakeClock) -> int:
    """Demo holders, a login verified by a call, a session, a queued mail; the challenge."""
    store = await Store.open(path, clock)
    try:
        await demo.seed(store)
        holder = await store.holder_by_login("demo")
        assert holder is not None
        challenge = await create_on(store, holder.id, "s", PHONE, AUTH, 120)
        await store.record_call(a_call(clock), verify=challenge.id)
        await store.save_session("k" * 43, "{}", 600)
        await Outbox(store).enqueue("demo@example.jp", "件名", "本文")
        return challenge.id
    finally:
        await store.close()


async def test_a_sqlite_site_copied_to_postgresql_keeps_every_row_and_id(
    pg: Cluster, tmp_path: Path, clock: FakeClock
) -> None:
    challenge_id = await a_site(str(tmp_path / "callauth.db"), clock)
    url = await pg.new_database()
    try:
        done = await cli("copy", "--from", "sqlite:///callauth.db", "--to", url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "every table's count matches" in done.stdout
        assert "challenges" in done.stdout and "MISMATCH" not in done.stdout
        copied = await Store.open(url, clock)
        try:
            challenge = await copied.challenge(challenge_id)
            assert challenge is not None and challenge.state is ChallengeState.VERIFIED
            assert challenge.verified_call_id == (await copied.recent_calls(1))[0].id
            assert await copied.load_session("k" * 43) == "{}"
            holders = await copied.count_holders()  # ids 1 … holders, as in the file
            new = await copied.add_holder(NewHolder("after", "hash", "新規 太郎"))
            assert new.id == holders + 1  # the identity counts on past the copied ids
        finally:
            await copied.close()
        again = await cli("copy", "--from", "sqlite:///callauth.db", "--to", url, cwd=tmp_path)
        assert again.returncode == 2 and "already holds rows" in again.stderr
        migrated = await cli("migrate", "--db", url, cwd=tmp_path)
        assert migrated.returncode == 0 and "schema version" in migrated.stdout
        back = await cli("copy", "--from", url, "--to", "sqlite:///back.db", cwd=tmp_path)
        assert back.returncode == 0 and "every table's count matches" in back.stdout, back.stderr
        returned = await Store.open(str(tmp_path / "back.db"), clock)
        try:
            challenge = await returned.challenge(challenge_id)
            assert challenge is not None and challenge.state is ChallengeState.VERIFIED
            assert await returned.holder_by_login("after") is not None
        finally:
            await returned.close()
    finally:
        await pg.drop(url)


async def test_copy_from_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    done = await cli("copy", "--from", "sqlite:///gone.db", "--to", "sqlite:///b.db", cwd=tmp_path)
    assert done.returncode == 2 and "no database" in done.stderr
    assert not (tmp_path / "gone.db").exists() and not (tmp_path / "b.db").exists()
