"""Which database a URL names: a SQLite file (the default) or a PostgreSQL server.

``--db`` and ``CALLAUTH_DB`` take a path (``callauth.db``), ``sqlite:///path``, or
``postgresql://user@host/dbname`` (``postgres://`` too). Only this module and the
backends' own modules know the difference.
"""

from __future__ import annotations

import os
import re

from callauth.db import pg_migrate
from callauth.db.connection import Transactions
from callauth.db.dbfile import DbFile
from callauth.db.events import ChallengeEvents
from callauth.db.external import ExternalChanges
from callauth.db.pg_connection import PgTransactions
from callauth.db.pg_events import PgListener
from callauth.db.sqlite_open import connect

SQLITE_PREFIX = "sqlite:///"


def is_postgresql(where: str) -> bool:
    return where.startswith(("postgresql://", "postgres://"))


def sqlite_path(where: str) -> str:
    """The file path of a SQLite ``where`` (``sqlite:///x.db`` or ``x.db``)."""
    return where.removeprefix(SQLITE_PREFIX)


def exists(where: str) -> bool:
    """Whether there is a database at ``where`` to open without creating one (a server's
    is asked when opened)."""
    return is_postgresql(where) or os.path.exists(sqlite_path(where))


#: A password given in the query string (libpq's ``password`` and ``sslpassword``).
_QUERY_PASSWORD = re.compile(r"([?&](?:ssl)?password=)[^&#]*")


def shown(where: str) -> str:
    """``where`` fit for a log line or the console: a URL's passwords as ``***``."""
    if not is_postgresql(where):
        return where
    scheme, _, rest = where.partition("://")
    address, question, query = rest.partition("?")
    credentials, at, host = address.rpartition("@")
    if at and ":" in credentials:
        address = f"{credentials.split(':', 1)[0]}:***@{host}"
    query = _QUERY_PASSWORD.sub(r"\1***", question + query)
    return f"{scheme}://{address}{query}"


async def open_transactions(where: str, pool: int) -> Transactions:
    if is_postgresql(where):
        await pg_migrate.open_and_migrate(where)
        return PgTransactions(where, pool)
    path = sqlite_path(where)
    # Every unit of work checks the file at the path is still the one opened.
    return Transactions(await connect(path), DbFile.at(path))


async def schema_version(tx: Transactions) -> int:
    """The migration the database is at (SQLite keeps it in a PRAGMA, PostgreSQL a table)."""
    pg = isinstance(tx, PgTransactions)
    sql = "SELECT max(version) FROM schema_version" if pg else "PRAGMA user_version"
    return await tx.run_read(lambda db: int(db.execute(sql).fetchone()[0]))


async def watch_changes(tx: Transactions, events: ChallengeEvents) -> None:
    if isinstance(tx, PgTransactions):
        await PgListener(tx.url, events, tx.pids).run()
    else:
        await ExternalChanges(tx, events).run()
