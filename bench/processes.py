"""The benchmark's processes: `callauth serve`, the baselines, and the measuring clients.

Every measuring client is a separate Python process printing one JSON object, so that the
server under test never shares a core's event loop with its load.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.ports import free_ports

PYTHON = sys.executable
START_TIMEOUT = 60


def _wait_for_line(process: subprocess.Popen[bytes], log: str, start: int, text: str) -> None:
    """Wait until the process has written ``text`` to its log (past byte ``start``).

    Readiness is read from the log, not probed with a connection: a connection closed at
    once would freeze panoramisk's own FastAGI server (the bug ours is hardened against).
    """
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"benchmark process exited with {process.returncode}")
        with open(log, "rb") as file:
            file.seek(start)
            if text.encode() in file.read():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{text!r} not in {log} after {START_TIMEOUT} s")


@contextlib.contextmanager
def _running(args: list[str], log: str, ready: str) -> Iterator[subprocess.Popen[bytes]]:
    start = os.path.getsize(log) if os.path.exists(log) else 0
    with open(log, "ab") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_line(process, log, start, ready)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Server:
    http: str
    agi: str
    pid: int


@contextlib.contextmanager
def serve(db: str, folder: str, python: str = "") -> Iterator[Server]:
    """`callauth serve` on the database, logging at INFO to a file as in production
    (``python``: another checkout's interpreter, to run its code instead of this one's)."""
    http, agi = (f"127.0.0.1:{port}" for port in free_ports(2))
    args = [python or PYTHON, "-m", "callauth", "serve", "--db", db, "--http", http,
            "--agi", agi, "--admin", "127.0.0.1:0"]  # fmt: skip
    log = os.path.join(folder, "serve.log")
    with _running(args, log, "Web: http://") as process:
        yield Server(http, agi, process.pid)


@contextlib.contextmanager
def bare_panoramisk(folder: str) -> Iterator[Server]:
    agi = f"127.0.0.1:{free_ports(1)[0]}"
    args = [PYTHON, "-m", "bench.bare_panoramisk", "--agi", agi]
    with _running(args, os.path.join(folder, "bare.log"), "listening") as process:
        yield Server("", agi, process.pid)


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far, all its threads (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_call(server: Server, calls_file: str, rate: float) -> dict[str, Any]:
    """The load generator at a fixed ``rate``, and the server's CPU time per call over it."""
    before = cpu_seconds(server.pid)
    report = loadgen(server.agi, calls_file, rate=rate)
    report["cpu_ms_per_call"] = (cpu_seconds(server.pid) - before) * 1000 / report["calls"]
    return report


def _json_of(args: list[str], timeout: float = 900) -> dict[str, Any]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def loadgen(agi: str, calls_file: str, *, concurrency: int = 0, rate: float = 0) -> dict[str, Any]:
    mode = ["--rate", str(rate)] if rate else ["--concurrency", str(concurrency)]
    return _json_of([PYTHON, "-m", "bench.loadgen", "--agi", agi, "--calls", calls_file, *mode])


def browsers(server: Server, plan: str, count: int, calls: int, rate: float) -> dict[str, Any]:
    return _json_of([
        PYTHON, "-m", "bench.browsers", "--http", server.http, "--agi", server.agi,
        "--plan", plan, "--browsers", str(count), "--calls", str(calls), "--rate", str(rate),
        "--server-pid", str(server.pid),
    ])  # fmt: skip


def scale(db: str, calls_file: str) -> dict[str, Any]:
    return _json_of([PYTHON, "-m", "bench.scale", "--db", db, "--calls", calls_file])


def process_per_call(db: str, calls: list[list[str]]) -> dict[str, Any]:
    from bench.per_process import measure

    return measure(db, calls)
