"""A throwaway PostgreSQL cluster for the test session: Debian's binaries, a temporary
folder, 127.0.0.1 on a free port, started once and stopped at the end (never a mock).

initdb and postgres refuse to run as root: as root they run as the ``postgres`` user the
Debian package creates. Without the binaries the PostgreSQL tests skip, saying why
(``.ci/run`` installs the package, so in CI they run). Every test gets a database of its
own, copied from one migrated template (milliseconds, not a migration per test).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from callauth.db import pg_migrate
from tests.ports import free_port

TEMPLATE = "callauth_template"
#: Tests: no durability at all (a throwaway cluster), as fast as it goes.
TEST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off",
                 "listen_addresses=127.0.0.1", "max_connections=300")  # fmt: skip


def binaries() -> str | None:
    """The newest installed server's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass
class Cluster:
    bin: str
    folder: str
    port: int
    settings: tuple[str, ...] = TEST_SETTINGS
    _names = itertools.count(1)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str) -> None:
        """``pg_ctl`` on this cluster (tests stop and start the server with it)."""
        command = [f"{self.bin}/pg_ctl", "-D", f"{self.folder}/data", "-w", *args]
        subprocess.run(_as_owner(command), check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = " ".join(f"-c {setting}" for setting in self.settings)
        self.pg_ctl("-l", f"{self.folder}/server.log", "-o",
                    f"-p {self.port} -k {self.folder} {options}", "start")  # fmt: skip

    async def _on_server(self, sql: str) -> None:
        """One statement on the maintenance database (CREATE/DROP DATABASE run outside any)."""
        conn = await asyncpg.connect(self.url("postgres"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def new_database(self) -> str:
        """A fresh, migrated database of its own; its URL."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        await self._on_server(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE}')
        return self.url(name)

    @contextlib.asynccontextmanager
    async def database(self) -> AsyncIterator[str]:
        """A fresh, migrated database's URL, dropped on the way out."""
        url = await self.new_database()
        try:
            yield url
        finally:
            await self.drop(url)

    async def drop(self, url: str) -> None:
        await self._on_server(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    async def create(self, name: str) -> str:
        """An empty database called ``name``; its URL."""
        await self._on_server(f'CREATE DATABASE "{name}"')
        return self.url(name)

    async def make_template(self) -> None:
        await pg_migrate.open_and_migrate(await self.create(TEMPLATE))


def start_cluster(settings: tuple[str, ...] = TEST_SETTINGS) -> Cluster:
    """initdb in a temporary folder and start the server; the caller stops it."""
    bin_folder = binaries()
    assert bin_folder is not None
    folder = tempfile.mkdtemp(prefix="callauth-pg-")
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    initdb = [f"{bin_folder}/initdb", "-D", f"{folder}/data", "-A", "trust", "-U", "postgres",
              "-E", "UTF8", "--locale=C.UTF-8"]  # fmt: skip
    subprocess.run(_as_owner(initdb), check=True, capture_output=True, timeout=120)
    cluster = Cluster(bin_folder, folder, free_port(), settings)
    cluster.start()
    return cluster


def stop_cluster(cluster: Cluster) -> None:
    try:
        cluster.pg_ctl("-m", "immediate", "stop")
    finally:
        shutil.rmtree(cluster.folder, ignore_errors=True)
