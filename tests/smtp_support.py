"""A real SMTP server in-process (aiosmtpd on 127.0.0.1) whose inbox tests read."""

from __future__ import annotations

import asyncio
import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from callauth.ivr.config import Address


@dataclass(frozen=True)
class Arrived:
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]


class Inbox:
    """aiosmtpd's handler: keeps every mail it accepts; refuses recipients in ``refuse``."""

    def __init__(self) -> None:
        self.mails: list[Arrived] = []
        self.refuse: set[str] = set()
        self._arrived = asyncio.Condition()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        async with self._arrived:
            self.mails.append(Arrived(tuple(envelope.rcpt_tos), message))
            self._arrived.notify_all()
        return "250 OK queued"

    async def wait_for(self, count: int, seconds: float = 10) -> list[Arrived]:
        async with asyncio.timeout(seconds):
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.mails) >= count)
        return self.mails


class SmtpServer:
    """Starts on a free port; :meth:`stop` and :meth:`start` again keep that port, so a
    test can take the relay down and bring it back."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._sessions: list[SMTP] = []

    @property
    def address(self) -> Address:
        return Address("127.0.0.1", self.port)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def session() -> SMTP:
            self._sessions.append(SMTP(self.inbox, hostname="relay.test", loop=loop))
            return self._sessions[-1]

        self._server = await loop.create_server(
            session,
            "127.0.0.1",
            self.port,
            reuse_address=True,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for smtp in self._sessions:  # Server.close_clients() is Python 3.13+
                if smtp.transport is not None:
                    smtp.transport.close()
            self._sessions.clear()
            await self._server.wait_closed()
            self._server = None
