"""The `callauth` command's answers to bad input: a clear message and exit status 2."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from callauth.db.store import Store
from tests.readonly_support import Freezer

CALLAUTH = [sys.executable, "-m", "callauth"]
#: Every listener on a free port, so that only what a test sets up can stop `serve`.
ANY_PORTS = {"--http": "127.0.0.1:0", "--agi": "127.0.0.1:0", "--admin": "127.0.0.1:0"}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CALLAUTH, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def serve_on(db: Path, cwd: Path, **ports: str) -> subprocess.CompletedProcess[str]:
    flags = {**ANY_PORTS, **{f"--{name}": address for name, address in ports.items()}}
    return run("serve", "--db", str(db), *itertools.chain(*flags.items()), cwd=cwd)


def test_a_database_that_cannot_be_opened_is_named(tmp_path: Path) -> None:
    done = serve_on(tmp_path / "missing" / "x.db", tmp_path)
    assert done.returncode == 2
    assert "cannot start: unable to open database file" in done.stderr
    assert "missing/x.db" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = serve_on(tmp_path / "x.db", tmp_path, agi=f"127.0.0.1:{port}")
    assert done.returncode == 2
    assert "cannot start" in done.stderr and str(port) in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("listener", ["http", "agi", "admin"])
def test_a_port_in_use_creates_no_database(tmp_path: Path, listener: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = serve_on(tmp_path / "x.db", tmp_path, **{listener: f"127.0.0.1:{port}"})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in done.stderr
    assert "in use" in done.stderr
    assert list(tmp_path.iterdir()) == []  # no database, no -wal, no -shm


def test_a_database_file_that_cannot_be_written_is_refused_at_start(
    tmp_path: Path, freezer: Freezer
) -> None:
    db = tmp_path / "data" / "x.db"
    db.parent.mkdir()
    asyncio.run(create_database(db))  # a good database, migrated, then made read-only
    freezer.freeze(db)
    done = serve_on(db, tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "cannot start" in done.stderr and "cannot be written" in done.stderr
    assert str(db) in done.stderr


def test_a_database_folder_that_cannot_be_written_is_refused_at_start(
    tmp_path: Path, freezer: Freezer
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    freezer.freeze(folder)
    done = serve_on(folder / "x.db", tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "cannot start: unable to open database file" in done.stderr
    assert list(folder.iterdir()) == []


async def create_database(path: Path) -> None:
    store = await Store.open(str(path))
    await store.close()


def test_a_bad_address_is_a_configuration_error(tmp_path: Path) -> None:
    done = run("serve", "--http", "localhost", cwd=tmp_path)
    assert done.returncode == 2 and "http" in done.stderr
    assert not (tmp_path / "callauth.db").exists()  # nothing was created


def test_call_without_a_server_says_so(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the call is placed
    done = run("call", "--from", "09012345678", "--to", "0120111222",
               "--agi", f"127.0.0.1:{port}", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "cannot reach FastAGI" in done.stderr


def test_call_refuses_an_unknown_presentation(tmp_path: Path) -> None:
    done = run("call", "--from", "0901", "--to", "0120111222", "--presentation", "hidden",
               cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "presentation" in done.stderr


def test_serve_warns_when_the_number_pool_is_too_small(tmp_path: Path) -> None:
    with socket.socket() as busy:  # serve then stops at once, after the warning
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [*CALLAUTH, "serve", "--db", str(tmp_path / "x.db"), "--http", f"127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
            env={**os.environ, "CALLAUTH_AUTH_NUMBERS": "0120111222,0120111333"},
        )  # fmt: skip
    assert "auth_numbers: 2 number(s) for max_live_challenges = 2" in done.stderr
    assert "8 numbers avoid it" in done.stderr


def test_the_default_pool_draws_no_warning() -> None:
    from callauth.ivr.config import Telephony
    from callauth.ivr.number_pool import CodeMode
    from callauth.serve import pool_warning

    assert pool_warning(Telephony()) is None
    small = Telephony(auth_numbers=("0120111222",), code_mode=CodeMode.NEVER)
    assert pool_warning(small) is not None
