"""Browser tests' machinery: Debian's Chromium driven by Playwright against a real
`callauth serve --demo` process, and `callauth call` as the caller's phone.

A module that imports this is skipped where Chromium is missing, unless
CALLAUTH_REQUIRE_BROWSER is set (CI), where that is an error."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CALLAUTH_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required for the browser tests (apt-get install chromium)")
    pytest.skip("chromium is not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

CALLAUTH = [sys.executable, "-m", "callauth"]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, tmp: Path, env: dict[str, str] | None = None) -> None:
        self.http = f"127.0.0.1:{free_port()}"
        self.agi = f"127.0.0.1:{free_port()}"
        self.log = open(tmp / "serve.log", "w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [*CALLAUTH, "serve", "--demo", "--db", str(tmp / "demo.db"),
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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One demo server per test module."""
    server = Server(tmp_path_factory.mktemp("serve"))
    try:
        yield server
    finally:
        server.stop()
    assert server.process.returncode == 0, "serve did not stop cleanly on SIGTERM"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Page, server: Server, login_id: str = "demo", password: str = "demo1234") -> str:
    """Log in and return the authentication number shown, as domestic digits."""
    page.goto(f"http://{server.http}/login")
    page.fill("input[name=login_id]", login_id)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/verify$"))
    href = page.get_attribute("a[href^='tel:']", "href")
    assert href is not None
    return re.sub(r"\D", "", href)


#: Where every browser test keeps the pages as people see them (CI keeps the folder as an
#: artifact, README "Screenshots"); CALLAUTH_SCREENSHOTS names another folder.
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


def screenshot(page: Page, name: str) -> None:
    """Keep the whole page as people see it, as ``<name>.png`` in the screenshots folder."""
    folder = Path(os.environ.get("CALLAUTH_SCREENSHOTS") or SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
