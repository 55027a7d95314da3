"""``callauth pbx check`` against the scripted AMI (tests/ami_support.py) and a real port.

The banner, Login answers and events are the recorded ones (Asterisk 22.10.1). The
ListCommands and CoreSettings answers are written in the format manager.c produces
(``Action: synopsis (Priv: classes)``; ``Message: Permission denied``); the recording
has none, since the recorded user sent neither.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest

from callauth.cli import main
from callauth.ivr.config import Address, Config
from callauth.ivr.pbx_check import Level, check
from tests.agi_support import fastagi
from tests.ami_support import AmiScript, ScriptedAmi

SECRET = "secret"

#: What a user with ``write =`` (none) may send: only the actions of no class.
LISTEN_ONLY = (
    b"Response: Success\r\nActionID: x\r\n"
    b"Login: Login Manager. (Priv: <none>)\r\n"
    b"Logoff: Logoff Manager. (Priv: <none>)\r\n"
    b"Ping: Keepalive command. (Priv: <none>)\r\n"
    b"ListCommands: List available manager commands. (Priv: <none>)\r\n\r\n"
)
ORIGINATE_TOO = LISTEN_ONLY.replace(
    b"\r\n\r\n", b"\r\nOriginate: Originate a call. (Priv: originate,all)\r\n\r\n"
)
DENIED = b"Response: Error\r\nActionID: x\r\nMessage: Permission denied\r\n\r\n"
SETTINGS = (
    b"Response: Success\r\nActionID: x\r\nAMIversion: 11.0.0\r\n"
    b"AsteriskVersion: 22.10.1\r\nSystemName: \r\nCoreMaxCalls: 0\r\n\r\n"
)


@pytest.fixture
async def ami() -> AsyncIterator[ScriptedAmi]:
    server = ScriptedAmi(AmiScript.from_fixtures(), secret=SECRET)
    server.answers = {"listcommands": LISTEN_ONLY, "coresettings": DENIED}
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def config_for(ami: ScriptedAmi, agi: Address, secret: str = SECRET) -> Config:
    return Config.from_keys(ami=Address("127.0.0.1", ami.port), ami_secret=secret, agi=agi)


async def closed_port() -> Address:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return Address("127.0.0.1", port)


async def test_the_shipped_listen_only_user_and_a_running_fastagi_need_nothing(ami, store) -> None:
    async with fastagi(store) as server:
        findings = await check(config_for(ami, Address("127.0.0.1", server.port)))
    levels = [f.level for f in findings]
    assert Level.MISSING not in levels and Level.WARN not in levels
    text = "\n".join(f.what for f in findings)
    assert "answers from here" in text and "Asterisk Call Manager/11.0.0" in text
    assert "read: system" in text and "write: none" in text
    # The shipped user may not send CoreSettings: said so, with where to look instead.
    assert "hidden from this user" in text and "core show version" in text
    assert ami.logins[0]["username"] == "callauth" and ami.logins[0]["events"] == "system,call"


async def test_a_user_that_may_read_settings_gets_the_asterisk_version(ami) -> None:
    ami.answers["coresettings"] = SETTINGS
    findings = await check(config_for(ami, await closed_port()))
    assert any(f.level is Level.OK and f.what == "Asterisk 22.10.1" for f in findings)


async def test_fastagi_not_answering_prints_both_lines_to_set(ami) -> None:
    agi = await closed_port()
    fastagi_finding = (await check(config_for(ami, agi)))[0]
    assert fastagi_finding.level is Level.MISSING
    assert f'    agi = "{agi}"' in fastagi_finding.fix
    assert f"    CALLAUTH_AGI = agi://{agi}/auth" in fastagi_finding.fix


async def test_a_refused_login_prints_the_user_section_without_any_secret(ami) -> None:
    findings = await check(config_for(ami, await closed_port(), secret="Wr0ng-S3cret-value"))
    login = findings[1]
    assert login.level is Level.MISSING and "Authentication failed" in login.what
    assert "    [callauth]" in login.fix and "    read = system,call" in login.fix
    assert "    permit = 127.0.0.1/255.255.255.255" in login.fix
    printed = "\n".join((login.what, *login.fix, *(f.what for f in findings)))
    assert "Wr0ng-S3cret-value" not in printed


async def test_a_user_without_system_read_and_with_write_classes_is_told(ami) -> None:
    script = ami.script
    ami.script = dataclasses.replace(
        script, events=tuple(e for e in script.events if b"FullyBooted" not in e)
    )
    ami.answers["listcommands"] = ORIGINATE_TOO
    findings = {f.what.split(":")[0]: f for f in await check(config_for(ami, await closed_port()))}
    assert findings["AMI read"].level is Level.MISSING
    assert "    read = system,call" in findings["AMI read"].fix
    write = findings["AMI write"]
    assert write.level is Level.WARN and "originate" in write.what and "    write =" in write.fix


async def test_ami_not_listening_prints_the_general_section() -> None:
    port = await closed_port()
    config = Config.from_keys(ami=port, agi=port)
    findings = await check(config)
    assert findings[1].level is Level.MISSING and "does not answer" in findings[1].what
    assert f"    port = {port.port}" in findings[1].fix


def test_the_command_exits_1_and_prints_what_to_add(capsys) -> None:
    # Nothing listens on either port: both MISSING findings, with their lines.
    port = asyncio.run(closed_port())
    code = main(["pbx", "check", "--agi", str(port)])
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("MISSING") >= 2 and f"CALLAUTH_AGI = agi://{port}/auth" in out
