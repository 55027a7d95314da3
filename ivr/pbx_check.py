"""``callauth pbx check``: what callauth can see of the PBX from where it runs.

It opens a TCP connection to the FastAGI address (callauth's own ``agi``, the address
``CALLAUTH_AGI`` must point at), logs in to AMI with the configured user (panoramisk's
``Manager``, as ``ivr.ami`` does) and reports the Asterisk version (``CoreSettings``, an
action only a user with ``write = system`` or ``reporting`` may send) and the user's
rights: its read classes from the events it gets (``FullyBooted`` right after Login needs
``read = system``), its write classes from ``ListCommands`` (which lists exactly the
actions the user may send, each with its class). Each finding that needs a change carries
the exact configuration lines to add. Secrets are never printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import re
from dataclasses import dataclass
from typing import Any

from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol

from callauth.ivr.config import Address, Ami, Config
from callauth.ivr.dialplan import AUTH_SCRIPT

TIMEOUT = 5.0
#: How long to wait for the events Asterisk sends right after the Login response.
EVENT_WAIT = 1.0
_PRIV = re.compile(r"\(Priv: (?P<classes>[^)]*)\)")


class Level(enum.Enum):
    OK = "ok"
    INFO = "info"
    WARN = "warn"
    MISSING = "MISSING"


@dataclass(frozen=True)
class Finding:
    level: Level
    what: str
    #: Lines to add, the file they go into first (e.g. "manager.conf, [callauth]:").
    fix: tuple[str, ...] = ()


async def check(config: Config, limit: float = TIMEOUT) -> list[Finding]:
    return [await check_fastagi(config.telephony.agi, limit), *await check_ami(config.ami, limit)]


async def check_fastagi(agi: Address, limit: float = TIMEOUT) -> Finding:
    url = f"agi://{agi}/{AUTH_SCRIPT}"
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(agi.host, agi.port), limit)
    except (OSError, TimeoutError) as exc:
        return Finding(Level.MISSING, f"FastAGI {url} does not answer from here: {_why(exc)}", (
            "start callauth with it (callauth.toml, or `callauth serve --agi HOST:PORT`):",
            f'    agi = "{agi}"',
            "and point Asterisk at it (extensions.conf, [globals]):",
            f"    CALLAUTH_AGI = {url}",
        ))  # fmt: skip
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return Finding(Level.OK, f"FastAGI {url} answers from here")


class _Probe(Manager):  # type: ignore[misc]
    """panoramisk's Manager for one look: no reconnecting, events noted by name."""

    def __init__(self, ami: Ami) -> None:
        super().__init__(
            host=ami.address.host, port=ami.address.port, username=ami.user,
            secret=ami.secret, events="system,call", ping_delay=3600,
            loop=asyncio.get_running_loop(),
        )  # fmt: skip
        self.seen: set[str] = set()
        self.register_event("*", lambda _, event: self.seen.add(event.event))

    def connection_lost(self, exc: Any) -> None:
        self._connected = False  # a check never reconnects (panoramisk would, forever)


async def check_ami(ami: Ami, limit: float = TIMEOUT) -> list[Finding]:
    probe = _Probe(ami)
    loop = asyncio.get_running_loop()
    try:
        connected = await asyncio.wait_for(
            loop.create_connection(AMIProtocol, ami.address.host, ami.address.port), limit
        )
    except (OSError, TimeoutError) as exc:
        return [Finding(Level.MISSING, f"AMI {ami.address} does not answer: {_why(exc)}", (
            "manager.conf, [general]:",
            "    enabled = yes", f"    bindaddr = {ami.address.host}", f"    port = {ami.address.port}",
        ))]  # fmt: skip
    try:
        return await _session(probe, ami, connected, limit)
    finally:
        probe.close()


async def _session(
    probe: _Probe, ami: Ami, connected: tuple[Any, Any], limit: float
) -> list[Finding]:
    ready = asyncio.get_running_loop().create_future()
    ready.set_result(connected)
    probe.connection_made(ready)
    here = connected[0].get_extra_info("sockname")[0]
    try:
        response = await asyncio.wait_for(probe.authenticated_future, limit)
    except TimeoutError:
        return [Finding(Level.MISSING, f"AMI {ami.address}: no answer to Login in {limit:g} s")]
    banner = f"Asterisk Call Manager/{connected[1].version}"
    if not response.success:
        why = response.message or response.response
        return [Finding(Level.MISSING, f"AMI login as {ami.user!r} refused ({why})",
                        _user_lines(ami, here))]  # fmt: skip
    await asyncio.sleep(EVENT_WAIT)  # FullyBooted follows the Login response at once
    return [
        Finding(Level.OK, f"AMI {ami.address}: logged in as {ami.user!r} ({banner})"),
        await _version(probe, limit),
        _read_rights(probe, ami, here),
        await _write_rights(probe, limit),
    ]


async def _version(probe: _Probe, limit: float) -> Finding:
    settings = await asyncio.wait_for(probe.send_action({"Action": "CoreSettings"}), limit)
    if settings.success and settings.get("AsteriskVersion"):
        return Finding(Level.OK, f"Asterisk {settings['AsteriskVersion']}")
    return Finding(Level.INFO, "Asterisk version: hidden from this user (CoreSettings needs"
                   " write = system or reporting, which callauth does not need); on the PBX:"
                   " asterisk -rx 'core show version'")  # fmt: skip


def _read_rights(probe: _Probe, ami: Ami, here: str) -> Finding:
    if "FullyBooted" not in probe.seen:
        return Finding(Level.MISSING, "AMI read: no FullyBooted event after Login, so this"
                       " user lacks read = system (and probably call): callauth would"
                       " never hear how calls end", _user_lines(ami, here))  # fmt: skip
    return Finding(Level.OK, "AMI read: system (FullyBooted arrived); call (Newchannel,"
                   " Hangup) shows only with a call: the call log gets hang-up causes when"
                   " it is there")  # fmt: skip


async def _write_rights(probe: _Probe, limit: float) -> Finding:
    listed = await asyncio.wait_for(probe.send_action({"Action": "ListCommands"}), limit)
    classes = sorted({c.strip() for value in dict(listed).values() if isinstance(value, str)
                      for found in _PRIV.finditer(value) for c in found["classes"].split(",")
                      if c.strip() and c.strip() not in ("<none>", "all")})  # fmt: skip
    if not classes:
        return Finding(Level.OK, "AMI write: none, as callauth needs (Login, Ping, Logoff)")
    return Finding(Level.WARN, f"AMI write: {', '.join(classes)}: callauth sends no action"
                   " that needs one; give its user none", ("manager.conf, the user's section:",
                                                         "    write ="))  # fmt: skip


def _user_lines(ami: Ami, here: str) -> tuple[str, ...]:
    return (
        "manager.conf:",
        f"    [{ami.user}]",
        "    secret = (the value of callauth's ami_secret / CALLAUTH_AMI_SECRET)",
        "    deny = 0.0.0.0/0.0.0.0",
        f"    permit = {here}/255.255.255.255",
        "    read = system,call",
        "    write =",
        "then: asterisk -rx 'manager reload'",
    )


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return (exc.strerror if isinstance(exc, OSError) else None) or repr(exc)
