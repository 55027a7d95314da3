"""`callauth check-number NUMBER`: the JSON API's answer on the command line, for an
insurer whose application form posts to its own back end (README "For the insurer's
application form").

Exit 0 when the number may be used for verification, 1 when not (the Japanese message on
stdout says why, as the API's ``message`` does), 2 on a usage error. ``--json`` prints the
API's answer itself. The allowed kinds come from the same configuration as ``serve``.
"""

from __future__ import annotations

import argparse
import json
import sys

from callauth.ivr.config import Config
from callauth.ivr.number_answer import answer


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "check-number",
        help="whether a phone number may be used for verification (exit 0 yes, 1 no)",
        description="Prints the Japanese message for the person (and, when the number is"
        " one, its display form and E.164); exit 0 usable, 1 not, 2 usage error.",
    )
    check.add_argument("number", metavar="NUMBER", help="as typed, e.g. 090-1234-5678")
    check.add_argument(
        "--json", action="store_true", help="print the answer of POST /api/phone/validate"
    )
    check.add_argument("--config", metavar="FILE", help="TOML configuration file")


def run(config: Config, args: argparse.Namespace) -> int:
    if not args.number.strip():
        print("callauth check-number: NUMBER is empty", file=sys.stderr)
        return 2
    result = answer(args.number, config.telephony.allowed_kinds)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(result["message"])
        if result["e164"]:
            print(f"{result['display']} {result['e164']}")
    return 0 if result["registrable"] else 1
