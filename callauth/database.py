"""`callauth db …`: the database itself. ``migrate`` brings it to the schema this release
needs (``serve`` does that too at start; this is for a deploy step of its own), ``copy``
moves a site from one database to another, empty one (its SQLite file to PostgreSQL),
with a progress bar and a count of every table on both sides after.

Copy a stopped site: rows written while the copy runs may be missed (the counts say so).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys

from callauth.db import backend
from callauth.db import copy as db_copy
from callauth.db.store import Store
from callauth.ivr.config import Config
from callauth.progress import Progress


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = commands.add_parser("db", help="migrate the database, or copy a site to another one")
    actions = db.add_subparsers(dest="action", required=True)
    migrate = actions.add_parser("migrate", help="apply the migrations this release needs")
    migrate.add_argument("--config", metavar="FILE", help="TOML configuration file")
    migrate.add_argument("--db", metavar="PATH|URL", help="database (default ./callauth.db)")
    copy = actions.add_parser("copy", help="copy every row into another, empty database")
    copy.add_argument("--from", dest="source", required=True, metavar="URL",
                      help="the database now in use, e.g. sqlite:///callauth.db")  # fmt: skip
    copy.add_argument("--to", dest="target", required=True, metavar="URL",
                      help="the empty database, e.g. postgresql://callauth@db/callauth")  # fmt: skip
    copy.add_argument("--config", metavar="FILE", help="TOML configuration file")


def run(config: Config, args: argparse.Namespace) -> int:
    try:
        if args.action == "migrate":
            return asyncio.run(_migrate(config.db, config.db_pool))
        if not backend.exists(args.source):  # opening it would create an empty one
            print(f"callauth db copy: no database at {args.source}", file=sys.stderr)
            return 2
        return asyncio.run(_copy(args.source, args.target, config.db_pool))
    except (OSError, sqlite3.Error) as exc:
        print(f"callauth db: {exc}", file=sys.stderr)
        return 2


async def _migrate(where: str, pool: int) -> int:
    store = await Store.open(where, pool=pool)  # opening migrates
    try:
        version = await store.schema_version()
    finally:
        await store.close()
    print(f"database {backend.shown(where)} is at schema version {version}")
    return 0


async def _copy(source_url: str, target_url: str, pool: int) -> int:
    """Each side's PostgreSQL pool is ``db_pool`` connections (``Config.db_pool``)."""
    source = await Store.open(source_url, pool=pool)
    try:
        target = await Store.open(target_url, pool=pool)
        try:
            total = sum((await db_copy.counts(source)).values())
            bar = Progress("copying rows", total, sys.stderr)
            try:
                tables = await db_copy.copy(source, target, bar.update)
            except db_copy.NotEmpty as exc:
                print(f"callauth db copy: {exc}; copy into an empty one", file=sys.stderr)
                return 2
            bar.done()
        finally:
            await target.close()
    finally:
        await source.close()
    return _report(tables)


def _report(tables: list[db_copy.Count]) -> int:
    width = max(len(t.table) for t in tables)
    for t in tables:
        mark = "ok" if t.source == t.copied else "MISMATCH"
        print(f"{t.table:<{width}}  {t.source:>9,} → {t.copied:>9,}  {mark}")
    wrong = [t.table for t in tables if t.source != t.copied]
    if wrong:
        print(f"callauth db copy: counts differ in {', '.join(wrong)}", file=sys.stderr)
        return 1
    print(f"copied {sum(t.copied for t in tables):,} rows; every table's count matches")
    return 0
