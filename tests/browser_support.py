"""Browser tests' machinery: Debian's Chromium driven by Playwright against a real
`callauth serve --demo` process, and `callauth call` as the caller's phone.

A module that imports this is skipped where Chromium is missing, unless
CALLAUTH_REQUIRE_BROWSER is set (CI), where that is an error."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CALLAUTH_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required for the browser tests (apt-get install chromium)")
    pytest.skip("chromium is not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from tests.serve_process import CALLAUTH, Server  # noqa: E402, F401

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


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
