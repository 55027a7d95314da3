"""`callauth pbx check`: what the PBX admin needs to know before the first real call.

Run it where callauth runs, with callauth's configuration (``--config``, ``CALLAUTH_*``):
it tells whether FastAGI answers at callauth's ``agi`` address, logs in to AMI with
``ami_user`` / ``ami_secret`` and reports the Asterisk version and the user's rights, and
prints the exact lines to add for whatever is missing (ivr/pbx_check.py). Exit 0 when
nothing is missing, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio

from callauth.ivr.config import Config
from callauth.ivr.pbx_check import Finding, Level, check


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pbx = commands.add_parser("pbx", help="look at the PBX as callauth sees it")
    actions = pbx.add_subparsers(dest="action", required=True)
    check_ = actions.add_parser(
        "check", help="FastAGI reachable? AMI login, Asterisk version, the AMI user's rights"
    )
    check_.add_argument("--config", metavar="FILE", help="TOML configuration file")
    check_.add_argument("--agi", metavar="HOST:PORT", help="FastAGI address to try")


def run(config: Config, args: argparse.Namespace) -> int:
    print(
        f"callauth pbx check: FastAGI {config.telephony.agi}, AMI {config.ami.address}"
        f" as {config.ami.user!r}"
    )
    findings = asyncio.run(check(config))
    for finding in findings:
        print(render(finding))
    return 1 if any(f.level is Level.MISSING for f in findings) else 0


def render(finding: Finding) -> str:
    lines = [f"  {finding.level.value:<8} {finding.what}"]
    if finding.fix:
        lines += ["           add:"] + [f"             {line}" for line in finding.fix]
    return "\n".join(lines)
