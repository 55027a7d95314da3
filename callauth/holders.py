"""`callauth holders …`: operations on policyholders' accounts from the command line.

``unlock LOGIN_ID`` is the operator's half of the recovery path: a holder whose login ID is
locked after repeated failures (db/throttles.py) calls the call centre, the operator checks
who is calling and clears the ID's throttles. It opens the store as ``serve`` does
(``--db`` / ``--config`` / ``CALLAUTH_DB``) and may run while ``serve`` does: the throttles
live in the database, so the running server sees the change at the next attempt.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys

from callauth import holders_import
from callauth.db import backend
from callauth.db.store import Store
from callauth.db.throttle_policy import ThrottlePolicy
from callauth.db.throttles import Throttles
from callauth.ivr.config import Config


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    holders = commands.add_parser("holders", help="operations on policyholders' accounts")
    actions = holders.add_subparsers(dest="action", required=True)
    unlock = actions.add_parser(
        "unlock",
        help="clear a login ID's login throttles (after the call centre checked the caller)",
    )
    unlock.add_argument("login_id", metavar="LOGIN_ID")
    unlock.add_argument("--config", metavar="FILE", help="TOML configuration file")
    unlock.add_argument(
        "--db", metavar="PATH", help="SQLite file or postgresql:// URL (default ./callauth.db)"
    )
    holders_import.add_arguments(actions)


def run(config: Config, args: argparse.Namespace) -> int:
    # Opening would create an empty database: an operator's typo must not do that.
    if not backend.exists(config.db):
        print(f"callauth holders: no database at {backend.shown(config.db)}", file=sys.stderr)
        return 2
    return asyncio.run(_run(config, args))


async def _run(config: Config, args: argparse.Namespace) -> int:
    try:
        store = await Store.open(config.db, pool=config.db_pool)
    except (OSError, sqlite3.Error) as exc:
        print(
            f"callauth holders: cannot open the database {backend.shown(config.db)}: {exc}",
            file=sys.stderr,
        )
        return 2
    try:
        if args.action == "import":
            return await holders_import.run_import(store, config, args)
        if args.action == "export":
            return await holders_import.run_export(store, args)
        return await _unlock(store, config, args.login_id)
    finally:
        await store.close()


async def _unlock(store: Store, config: Config, login_id: str) -> int:
    holder = await store.holder_by_login(login_id)
    if holder is None:
        print(f"callauth holders unlock: no holder has the login ID {login_id!r}", file=sys.stderr)
        return 1
    policy = ThrottlePolicy(
        config.web.login_limit, config.web.login_window, config.web.login_id_lock
    )
    before = await Throttles(store, policy).unlock(login_id)
    detail = (
        f"by the command line: {before.consecutive_failures} consecutive failures,"
        f" {'locked' if before.locked else 'not locked'},"
        f" {before.throttled_addresses} throttled addresses"
    )
    await store.audit(holder.id, "login_unlocked", detail, "")
    state = "was locked" if before.locked else "was not locked"
    print(
        f"unlocked {login_id}: {state}; cleared {before.consecutive_failures} consecutive"
        f" failed logins and the throttles of {before.throttled_addresses} address(es)"
    )
    return 0
