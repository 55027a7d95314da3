"""A scripted Asterisk Manager Interface over real TCP, built from tests/fixtures/ami-*.txt.

It sends the recorded banner, answers ``Login`` with the recorded success or failure
block (ActionID replaced by the client's), then replays the recorded events byte for
byte; ``Ping`` gets the recorded ``Pong``. ``stop()`` closes every connection (as an
Asterisk restart does) and ``start()`` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass

from tests.fixture_transcripts import read_transcript

_ACTION_ID = re.compile(rb"^ActionID: [^\r]*\r\n", re.MULTILINE)


def messages(name: str, way: str) -> list[bytes]:
    """One side's messages in a transcript, each ending with its empty CRLF line."""
    found, current = [], b""
    for direction, line in read_transcript(name).lines:
        if direction != way:
            continue
        current += line
        if line == b"\r\n" or line.startswith(b"Asterisk Call Manager/"):
            found.append(current)
            current = b""
    return found


@dataclass(frozen=True)
class AmiScript:
    banner: bytes
    login_ok: bytes
    login_failed: bytes
    pong: bytes
    events: tuple[bytes, ...]

    @classmethod
    def from_fixtures(cls, scenario: str = "ami-reject-unanswered.txt") -> AmiScript:
        sent = messages(scenario, ">>")
        failed = messages("ami-login-failed.txt", ">>")
        pong = next(m for m in messages("ami-session.txt", ">>") if b"Ping: Pong" in m)
        return cls(
            banner=sent[0],
            login_ok=sent[1],
            login_failed=failed[1],
            pong=pong,
            events=tuple(m for m in sent[2:] if m.startswith(b"Event: ")),
        )


def parse_action(block: bytes) -> dict[str, str]:
    pairs = (line.split(": ", 1) for line in block.decode().split("\r\n") if ": " in line)
    return {key.lower(): value for key, value in pairs}


def with_action_id(message: bytes, action_id: str) -> bytes:
    return _ACTION_ID.sub(lambda _: b"ActionID: " + action_id.encode() + b"\r\n", message)


class ScriptedAmi:
    def __init__(self, script: AmiScript, secret: str = "secret", answer_pings: bool = True):
        self.script = script
        self.secret = secret
        self.answer_pings = answer_pings
        #: Seconds Asterisk keeps the connection after a refused login (about 1 s recorded).
        self.close_after_refusal = 1.0
        self.logins: list[dict[str, str]] = []  # every Login action received
        #: Other actions' answers by lower-case action name (ActionID replaced), e.g. for
        #: ``callauth pbx check``: ListCommands, CoreSettings.
        self.answers: dict[str, bytes] = {}
        self.port = 0
        self._server: asyncio.Server | None = None
        self._handlers: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listener and every connection, like an Asterisk restart."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        # Close the sockets rather than cancel the handlers: asyncio's stream callback
        # would log a cancelled handler as an error.
        handlers = list(self._handlers.items())
        for _, writer in handlers:
            writer.close()
        await asyncio.gather(*(task for task, _ in handlers), return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers[task] = writer
        try:
            writer.write(self.script.banner)
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                if not await self._answer(parse_action(block), reader, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed
        finally:
            self._handlers.pop(task, None)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _answer(
        self, action: dict[str, str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        name, action_id = action.get("action", "").lower(), action.get("actionid", "")
        if name == "login":
            self.logins.append(action)
            if action.get("secret") != self.secret:
                writer.write(with_action_id(self.script.login_failed, action_id))
                # Asterisk closes the connection itself a moment later.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reader.read(), self.close_after_refusal)
                return False
            writer.write(with_action_id(self.script.login_ok, action_id))
            writer.write(b"".join(self.script.events))
        elif name == "ping" and self.answer_pings:
            writer.write(with_action_id(self.script.pong, action_id))
        elif name in self.answers:
            writer.write(with_action_id(self.answers[name], action_id))
        await writer.drain()
        return True
