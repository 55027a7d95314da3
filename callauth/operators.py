"""`callauth operators add LOGIN --role viewer|support|admin`: an account for the console.

The password comes from a prompt (asked twice) on a terminal, or from the first line of
standard input otherwise (``printf '%s\\n' "$PW" | callauth operators add …``); it is never
an argument, which other users of the machine could read. Hashed with argon2id at the
same cost as the holders' passwords (ivr/passwords.py).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sqlite3
import sys

from callauth.db import backend
from callauth.db.operators import OperatorExists, Operators, Role
from callauth.db.store import Store
from callauth.ivr.config import Config
from callauth.ivr.passwords import hash_password_sync

LOGIN = re.compile(r"[a-z][a-z0-9._-]{1,31}")
MIN_PASSWORD = 12


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    operators = commands.add_parser("operators", help="accounts for the operator console")
    actions = operators.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add an operator (password from a prompt or stdin)")
    add.add_argument("login", metavar="LOGIN")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.VIEWER.value)
    add.add_argument("--config", metavar="FILE", help="TOML configuration file")
    add.add_argument(
        "--db", metavar="PATH", help="SQLite file or postgresql:// URL (default ./callauth.db)"
    )


def _password() -> str | None:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("パスワード: ")
    if getpass.getpass("パスワード（確認）: ") != first:
        print("callauth operators add: the two passwords differ", file=sys.stderr)
        return None
    return first


def run(config: Config, args: argparse.Namespace) -> int:
    if not LOGIN.fullmatch(args.login):
        print("callauth operators add: LOGIN is 2-32 of a-z 0-9 . _ - (a letter first)",
              file=sys.stderr)  # fmt: skip
        return 2
    if not backend.exists(config.db):
        print(f"callauth operators: no database at {backend.shown(config.db)}", file=sys.stderr)
        return 2
    password = _password()
    if password is None:
        return 2
    if len(password) < MIN_PASSWORD:
        print(f"callauth operators add: the password needs {MIN_PASSWORD} characters or more",
              file=sys.stderr)  # fmt: skip
        return 2
    return asyncio.run(_add(config, args.login, Role(args.role), hash_password_sync(password)))


async def _add(config: Config, login: str, role: Role, password_hash: str) -> int:
    try:
        store = await Store.open(config.db, pool=config.db_pool)
    except (OSError, sqlite3.Error) as exc:
        print(
            f"callauth operators: cannot open the database {backend.shown(config.db)}: {exc}",
            file=sys.stderr,
        )
        return 2
    try:
        await Operators(store).add(login, password_hash, role)
    except OperatorExists:
        print(f"callauth operators add: an operator {login!r} exists", file=sys.stderr)
        return 1
    finally:
        await store.close()
    print(f"added operator {login} ({role.value})")
    return 0
