"""The `callauth` command's answers to bad input: a clear message and exit status 2."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

CALLAUTH = [sys.executable, "-m", "callauth"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CALLAUTH, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def test_a_database_that_cannot_be_opened_is_named(tmp_path: Path) -> None:
    done = run("serve", "--db", str(tmp_path / "missing" / "x.db"), "--http", "127.0.0.1:0",
               "--agi", "127.0.0.1:0", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert "cannot start" in done.stderr and "missing/x.db" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run("serve", "--db", str(tmp_path / "x.db"), "--http", "127.0.0.1:0",
                   "--agi", f"127.0.0.1:{port}", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert "cannot start" in done.stderr and str(port) in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("busy_flag", ["--http", "--agi"])
def test_a_port_in_use_creates_no_database(tmp_path: Path, busy_flag: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        flags = {"--http": "127.0.0.1:0", "--agi": "127.0.0.1:0", busy_flag: f"127.0.0.1:{port}"}
        done = run("serve", "--db", str(tmp_path / "x.db"), *itertools.chain(*flags.items()),
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in done.stderr
    assert "in use" in done.stderr
    assert list(tmp_path.iterdir()) == []  # no database, no -wal, no -shm


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
    from callauth.serve import pool_warning
    from ivr.config import Config

    assert pool_warning(Config()) is None
    assert pool_warning(Config(auth_numbers=("0120111222",), code_mode="never")) is not None
