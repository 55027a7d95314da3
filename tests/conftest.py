"""Shared fixtures: a real SQLite file under tmp_path (or, in the modules marked
``backends``, a real PostgreSQL database as well) and a clock the test moves."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from callauth.db.store import Store
from tests import pg_cluster
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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module marked ``backends`` runs its ``store`` (``db_url``) tests on both, but
    for the tests marked ``sqlite_only`` (they look at the file itself)."""
    marked = metafunc.definition.get_closest_marker
    if "backend" in metafunc.fixturenames and marked("backends") and not marked("sqlite_only"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def pg() -> Iterator[pg_cluster.Cluster]:
    """The session's PostgreSQL cluster, started on first use and stopped at the end."""
    if pg_cluster.binaries() is None:
        why = "PostgreSQL is not installed (apt-get install postgresql; .ci/run does)"
        if os.environ.get("CALLAUTH_REQUIRE_POSTGRESQL"):
            pytest.fail(why)
        pytest.skip(why)
    cluster = pg_cluster.start_cluster()
    try:
        # Its own loop on a thread of its own: the first user may be inside a running loop.
        with concurrent.futures.ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, cluster.make_template()).result()
        yield cluster
    finally:
        pg_cluster.stop_cluster(cluster)


@pytest.fixture
async def db_url(backend: str, db_path: str, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """Where the test's database is: a SQLite path, or a fresh PostgreSQL database's URL."""
    if backend == "sqlite":
        yield db_path
        return
    cluster: pg_cluster.Cluster = request.getfixturevalue("pg")
    async with cluster.database() as url:
        yield url


@pytest.fixture
async def pg_url(pg: pg_cluster.Cluster) -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database of the test's own (for the PostgreSQL-only tests)."""
    async with pg.database() as url:
        yield url


@pytest.fixture
async def store(db_url: str, clock: FakeClock) -> AsyncIterator[Store]:
    store = await Store.open(db_url, clock)
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
