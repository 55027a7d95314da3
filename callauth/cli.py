"""The `callauth` command: `serve`, `call`, `holders` and `check-number` (see DESIGN.md,
"Public interface")."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
from collections.abc import Sequence

from callauth import check_number, database, holders, logs, operators, pbx, sample_secrets
from callauth.db import backend
from callauth.ivr.config import Config, ConfigError, load_file

#: A simulated call that takes longer than this is reported as a failure.
CALL_TIMEOUT = 30


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callauth", description="Caller-ID login verification server."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web site and the FastAGI server")
    serve.add_argument("--config", metavar="FILE", help="TOML configuration file")
    serve.add_argument(
        "--db", metavar="PATH", help="SQLite file or postgresql:// URL (default ./callauth.db)"
    )
    serve.add_argument("--http", metavar="HOST:PORT", help="web address (default 127.0.0.1:8080)")
    serve.add_argument(
        "--agi", metavar="HOST:PORT", help="FastAGI address (default 127.0.0.1:4573)"
    )
    serve.add_argument(
        "--admin",
        metavar="HOST:PORT",
        help="/metrics and detailed health (default 127.0.0.1:8081; never a public address)",
    )
    serve.add_argument("--demo", action="store_true", default=None, help="seed demo data if empty")
    serve.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")

    call = commands.add_parser("call", help="place a simulated Asterisk call to the FastAGI port")
    call.add_argument(
        "--from",
        dest="caller",
        required=True,
        metavar="NUMBER",
        help="caller number as the trunk presents it (e.g. 09012345678)",
    )
    call.add_argument(
        "--to",
        dest="dialled",
        required=True,
        metavar="NUMBER",
        help="the authentication number dialled (e.g. 0120111222)",
    )
    call.add_argument(
        "--presentation",
        choices=("allowed", "prohib", "unavailable"),
        default="allowed",
        help="caller ID presentation (default allowed)",
    )
    call.add_argument(
        "--dtmf",
        type=_dtmf,
        default=(),
        metavar="DIGITS",
        help="keys the caller presses at the service's keypad prompts (GET DATA): one entry "
        "per prompt, comma-separated, in order, e.g. --dtmf 1111,1234 (a wrong code, then the "
        "right one); '#' ends an entry early, an empty entry keys nothing",
    )
    call.add_argument("--agi", metavar="HOST:PORT", help="FastAGI address (default 127.0.0.1:4573)")
    call.add_argument("--config", metavar="FILE", help="TOML configuration file")
    holders.add_parser(commands)
    operators.add_parser(commands)
    check_number.add_parser(commands)
    pbx.add_parser(commands)
    database.add_parser(commands)
    return parser  # fmt: skip


def _dtmf(value: str) -> tuple[str, ...]:
    from callauth.ivr.simulated_keypad import check_keys

    try:
        return tuple(check_keys(entry.strip()) for entry in value.split(","))
    except ValueError as exc:  # argparse turns this into a usage error, exit 2
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _config(args: argparse.Namespace) -> Config:
    flags = {name: getattr(args, name, None) for name in ("db", "http", "agi", "admin", "demo")}
    return load_file(args.config, os.environ, flags)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = _config(args)
    except ConfigError as exc:
        print(f"callauth: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        if (refused := sample_secrets.refusal(config)) is not None:
            print(f"callauth: cannot start: {refused}", file=sys.stderr)
            return 2
        logs.configure(args.verbose)
        from callauth.serve import run

        try:
            run(config)
        except (OSError, sqlite3.Error) as exc:
            # A port in use, a database that cannot be opened: say which, without a traceback.
            print(f"callauth: cannot start: {exc} (database {backend.shown(config.db)},"
                  f" web {config.web.http},"
                  f" FastAGI {config.telephony.agi})", file=sys.stderr)  # fmt: skip
            return 2
        return 0
    if args.command == "holders":
        return holders.run(config, args)
    if args.command == "operators":
        return operators.run(config, args)
    if args.command == "check-number":
        return check_number.run(config, args)
    if args.command == "pbx":
        return pbx.run(config, args)
    if args.command == "db":
        return database.run(config, args)
    return asyncio.run(_call(config, args))


async def _call(config: Config, args: argparse.Namespace) -> int:
    from callauth.ivr.dialplan import RESULT_VARIABLE, Outcome
    from callauth.ivr.simulator import place_call

    try:
        async with asyncio.timeout(CALL_TIMEOUT):
            result = await place_call(
                config.telephony.agi.host,
                config.telephony.agi.port,
                caller=args.caller,
                dialled=args.dialled,
                presentation=args.presentation,
                dtmf=args.dtmf,
                # As the dialplan would: whoever cannot read the config cannot send it.
                args=(config.telephony.agi_secret,) if config.telephony.agi_secret else (),
            )
    except OSError as exc:
        print(
            f"callauth call: cannot reach FastAGI at {config.telephony.agi}: {exc}", file=sys.stderr
        )
        return 2
    except TimeoutError:
        print(f"callauth call: no answer from FastAGI at {config.telephony.agi} in {CALL_TIMEOUT} s",
              file=sys.stderr)  # fmt: skip
        return 2
    outcome = result.variables.get(RESULT_VARIABLE, "")
    print(outcome or "(no result: the service set no CALLAUTH_RESULT)")
    return 0 if outcome == Outcome.VERIFIED.value else 1
