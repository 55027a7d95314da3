"""A real `callauth serve` process on free loopback ports, for the tests that need one
(the browser tests' demo server, several instances on one PostgreSQL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.ports import free_ports

CALLAUTH = [sys.executable, "-m", "callauth"]


class Server:
    def __init__(
        self, tmp: Path, env: dict[str, str] | None = None, *, db: str = "", demo: bool = True
    ) -> None:
        http, agi = free_ports(2)
        self.http, self.agi = f"127.0.0.1:{http}", f"127.0.0.1:{agi}"
        self.log = open(tmp / f"serve-{self.http.rsplit(':', 1)[1]}.log", "w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [*CALLAUTH, "serve", *(["--demo"] if demo else []), "--db", db or str(tmp / "demo.db"),
             "--http", self.http, "--agi", self.agi, "--admin", "127.0.0.1:0"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=tmp, env={**os.environ, **(env or {})},
        )  # fmt: skip
        try:
            self._wait_listening()
        except BaseException:
            self.stop()  # no process or open log left behind by a server that never came up
            raise

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"callauth serve exited:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", int(self.agi.split(":")[1])), 0.2):
                    with socket.create_connection(("127.0.0.1", int(self.http.split(":")[1])), 0.2):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"callauth serve did not start:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def call(self, caller: str, dialled: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CALLAUTH, "call", "--from", caller, "--to", dialled, "--agi", self.agi, *extra],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
