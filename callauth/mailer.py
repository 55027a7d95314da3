"""The mail sender: drains the outbox in the background, to an SMTP relay or a folder.

Nothing a holder waits for sends mail: a login or a code request writes one outbox row
(db/outbox.py) and returns; this task sends it, and retries with back-off (30 s doubling
to 1 h) while the relay is down or answers 4xx. A mail is given up, with an ERROR line,
after :data:`MAX_ATTEMPTS` tries or on a permanent (5xx) refusal. Log lines carry the
mail's id and a masked address, never the address or the body.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import logging
import os
import pathlib
from collections.abc import Callable, Coroutine
from email.message import EmailMessage
from typing import Any, Protocol

import aiosmtplib

from callauth.db.email_confirmations import masked_email
from callauth.db.outbox import Mail, Outbox
from callauth.ivr.config import Address, Config, Site
from callauth.ivr.jst import JST

logger = logging.getLogger(__name__)

RETRY_FIRST = 30
RETRY_MAX = 3600
MAX_ATTEMPTS = 12  # 30 s, 1, 2, 4, 8, 16, 32 min, then hourly: about 6 h in all
BATCH = 20
POLL_SECONDS = 5.0
SMTP_TIMEOUT = 30.0
#: `--demo` without an SMTP relay of its own writes its mails here.
DEMO_MAIL_DIR = "demo-mail"


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...

    def describe(self) -> str: ...


class PermanentFailure(Exception):
    """The relay refused the mail for good (5xx): retrying cannot help."""


class SmtpTransport:
    def __init__(self, site: Site) -> None:
        self._relay: Address = site.smtp
        self._user = site.smtp_user or None
        self._password = site.smtp_password or None
        self._starttls = site.smtp_starttls

    def describe(self) -> str:
        tls = ", STARTTLS" if self._starttls else ""
        return f"SMTP relay {self._relay}{tls}"

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=self._relay.host,
                port=self._relay.port,
                username=self._user,
                password=self._password,
                start_tls=self._starttls,
                timeout=SMTP_TIMEOUT,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if all(500 <= c < 600 for c in codes):
                raise PermanentFailure(f"recipient refused {codes}") from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise PermanentFailure(f"{type(exc).__name__} {exc.code}") from exc
            raise


class FolderTransport:
    """Each mail as an .eml file (``--demo``, ``mail_dir``): what a relay would have got."""

    def __init__(self, folder: str) -> None:
        self.folder = pathlib.Path(folder).resolve()

    def describe(self) -> str:
        return f"written to {self.folder}{os.sep}"

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{message['X-Callauth-Mail']}.eml"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(message.as_bytes())
        os.replace(partial, self.folder / name)  # a reader never sees half a mail


def mail_folder(config: Config) -> str:
    """The folder mails go to instead of SMTP, or "" for the relay."""
    site = config.site
    if site.mail_dir:
        return site.mail_dir
    relay_configured = site.smtp != Address("127.0.0.1", 25) or bool(site.smtp_user)
    return DEMO_MAIL_DIR if config.demo and not relay_configured else ""


def transport_for(config: Config) -> Transport:
    folder = mail_folder(config)
    return FolderTransport(folder) if folder else SmtpTransport(config.site)


def build_message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_addr
    message["Subject"] = mail.subject
    message["Date"] = email.utils.format_datetime(
        datetime.datetime.fromtimestamp(mail.created_at, JST)
    )
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = email.utils.make_msgid(f"callauth.{mail.id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message["X-Callauth-Mail"] = f"{mail.created_at}-{mail.id:08d}"
    message.set_content(mail.body)
    return message


async def _uncancellable_by_library(send: Coroutine[Any, Any, None]) -> None:
    """Run ``send`` in a task of its own: aiosmtplib turns a cancellation during QUIT into
    a disconnect it ignores, which would make the sender task outlive shutdown."""
    task = asyncio.create_task(send)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        task.cancel()
        raise


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones (1, 2, …)."""
    return int(min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_MAX))


class Mailer:
    def __init__(
        self, outbox: Outbox, site: Site, clock: Callable[[], int], transport: Transport
    ) -> None:
        self.outbox = outbox
        self.transport = transport
        self._sender = site.mail_from
        self._clock = clock

    async def run(self, poll_seconds: float = POLL_SECONDS) -> None:
        """Send what is due, then wait for a new mail or the next poll; forever."""
        while True:
            try:
                await self.send_due()
            except Exception as exc:  # a busy database now is fine on the next round
                logger.warning("mail sender round failed: %r", exc)
            await self.outbox.wait_queued(poll_seconds)

    async def send_due(self) -> int:
        """One round: every due mail tried once; returns how many were sent."""
        sent = 0
        while batch := await self.outbox.due(BATCH):
            for mail in batch:
                sent += await self._send(mail)
            if len(batch) < BATCH:
                break
        return sent

    async def _send(self, mail: Mail) -> bool:
        masked = masked_email(mail.to_addr)
        try:
            await _uncancellable_by_library(self.transport.send(build_message(mail, self._sender)))
        except (OSError, aiosmtplib.SMTPException, PermanentFailure) as exc:
            await self._failed(mail, masked, exc)
            return False
        await self.outbox.mark_sent(mail.id)
        logger.info("mail %d to %s sent (%s)", mail.id, masked, self.transport.describe())
        return True

    async def _failed(self, mail: Mail, masked: str, exc: Exception) -> None:
        attempts = mail.attempts + 1
        # The library's text may quote the recipient: keep it out of the log and the row.
        error = f"{type(exc).__name__}: {exc}".replace(mail.to_addr, masked)[:300]
        if isinstance(exc, PermanentFailure) or attempts >= MAX_ATTEMPTS:
            await self.outbox.mark_failed(mail.id, error, None)
            logger.error(
                "mail %d to %s given up after %d attempt(s): %s", mail.id, masked, attempts, error
            )
            return
        delay = retry_delay(attempts)
        await self.outbox.mark_failed(mail.id, error, self._clock() + delay)
        logger.warning(
            "mail %d to %s not sent (attempt %d), retry in %d s: %s",
            mail.id, masked, attempts, delay, error,
        )  # fmt: skip
