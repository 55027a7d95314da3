"""Shared fixtures: a real SQLite file under tmp_path and a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callauth.db.store import Store
from tests.readonly_support import freezer  # noqa: F401 (a fixture for every test module)
from tests.smtp_support import SmtpServer

START = 1_800_000_000


class FakeClock:
    def __init__(self, now: int = START) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "callauth.db")


@pytest.fixture
async def store(db_path: str, clock: FakeClock) -> AsyncIterator[Store]:
    store = await Store.open(db_path, clock)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def relay() -> AsyncIterator[SmtpServer]:
    """A real SMTP server in-process on a free loopback port (tests read its inbox)."""
    server = SmtpServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
