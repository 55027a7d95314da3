"""`callauth holders unlock LOGIN_ID`: the operator clears a locked login ID."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from callauth.db.store import Store
from callauth.db.throttle_policy import ThrottlePolicy, Verdict
from callauth.db.throttles import Throttles
from tests.conftest import FakeClock
from tests.web_support import seed_holder

POLICY = ThrottlePolicy(limit=5, window=900, id_lock=100)  # the defaults, as the CLI reads them


async def unlock(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "callauth", "holders", "unlock", *args]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=60, cwd=cwd
    )


async def lock(store: Store, clock: FakeClock, login_id: str) -> None:
    throttles = Throttles(store, POLICY)
    for n in range(POLICY.id_lock):  # from ever new addresses, waiting out the slow-down
        while (attempt := await throttles.reserve(login_id, f"10.0.0.{n}")).verdict is not (
            Verdict.CHECK
        ):
            clock.advance(attempt.wait)
    assert (await throttles.reserve(login_id, "10.9.9.9")).verdict is Verdict.LOCKED


async def test_unlock_clears_a_locked_id_says_what_it_did_and_audits_it(
    store: Store, db_path: str, clock: FakeClock, tmp_path: Path
) -> None:
    holder = await seed_holder(store, "yamada", "correct horse")
    await lock(store, clock, "yamada")
    done = await unlock("yamada", "--db", db_path, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("unlocked yamada: was locked;")
    assert "100 consecutive failed logins" in done.stdout
    # The running server's store sees it at once: the throttles live in the database.
    assert (await Throttles(store, POLICY).reserve("yamada", "10.9.9.9")).verdict is Verdict.CHECK
    (entry,) = [e for e in await store.audit_entries(holder.id) if e.event == "login_unlocked"]
    assert "100 consecutive failures, locked" in entry.detail


async def test_unlock_of_an_id_that_is_not_locked_is_harmless(
    store: Store, db_path: str, tmp_path: Path
) -> None:
    await seed_holder(store, "yamada", "correct horse")
    done = await unlock("yamada", "--db", db_path, cwd=tmp_path)
    assert done.returncode == 0
    assert "was not locked" in done.stdout


async def test_an_unknown_login_id_is_exit_1_with_a_clear_message(
    store: Store, db_path: str, tmp_path: Path
) -> None:
    await seed_holder(store, "yamada", "correct horse")
    done = await unlock("nobody", "--db", db_path, cwd=tmp_path)
    assert done.returncode == 1
    assert "no holder has the login ID 'nobody'" in done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr


def test_a_missing_database_is_named_and_not_created(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "callauth", "holders", "unlock", "yamada", "--db",
         str(tmp_path / "nothere.db")], capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "no database at" in done.stderr and "nothere.db" in done.stderr
    assert list(tmp_path.iterdir()) == []


async def test_the_database_comes_from_the_config_file(
    store: Store, db_path: str, tmp_path: Path
) -> None:
    await seed_holder(store, "yamada", "correct horse")
    config = tmp_path / "callauth.toml"
    config.write_text(f'db = "{db_path}"\n', encoding="utf-8")
    done = await unlock("yamada", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 0 and "unlocked yamada" in done.stdout
