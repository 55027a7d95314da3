"""The mail sender against a real SMTP server in-process, and the .eml folder mode."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import pathlib

import pytest

from callauth.db.outbox import Outbox
from callauth.db.store import Store
from callauth.ivr.config import Address, Config
from callauth.mailer import (
    DEMO_MAIL_DIR,
    MAX_ATTEMPTS,
    FolderTransport,
    Mailer,
    mail_folder,
    retry_delay,
    transport_for,
)
from tests.conftest import FakeClock
from tests.smtp_support import SmtpServer

pytestmark = pytest.mark.backends  # the store on SQLite and on PostgreSQL

TO = "hanako.yamada@example.jp"


def mailer_for(store: Store, relay: SmtpServer, **settings: object) -> Mailer:
    config = Config.from_keys(smtp=relay.address, **settings)
    return Mailer(Outbox(store), config.site, store.clock, transport_for(config))


async def test_a_queued_mail_arrives_at_the_relay_in_japanese(
    store: Store, relay: SmtpServer
) -> None:
    mailer = mailer_for(store, relay)
    mail_id = await mailer.outbox.enqueue(
        TO, "ログインがありました", "いつもご利用ありがとうございます。"
    )
    assert await mailer.send_due() == 1
    (arrived,) = relay.inbox.mails
    assert arrived.recipients == (TO,)
    assert arrived.message["Subject"] == "ログインがありました"
    assert arrived.message["From"].addresses[0].display_name == "みらい少額短期保険"
    assert arrived.message["From"].addresses[0].addr_spec == "noreply@example.jp"
    assert arrived.message["Auto-Submitted"] == "auto-generated"
    assert arrived.body.strip() == "いつもご利用ありがとうございます。"
    mail = await mailer.outbox.get(mail_id)
    assert mail is not None and mail.sent_at is not None
    assert await mailer.send_due() == 0  # once


async def test_a_relay_that_is_down_keeps_the_mail_and_a_retry_delivers_it(
    store: Store, clock: FakeClock, relay: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = mailer_for(store, relay)
    await relay.stop()
    mail_id = await mailer.outbox.enqueue(TO, "件名", "本文")
    with caplog.at_level(logging.WARNING, "callauth.mailer"):
        assert await mailer.send_due() == 0
    mail = await mailer.outbox.get(mail_id)
    assert mail is not None and mail.sent_at is None and mail.attempts == 1
    assert mail.next_attempt_at == clock.now + 30 and mail.last_error
    assert (
        "retry in 30 s" in caplog.text
        and TO not in caplog.text
        and "h***@example.jp" in caplog.text
    )
    await relay.start()  # back, on the same port
    clock.advance(29)
    assert await mailer.send_due() == 0  # not yet: back-off
    clock.advance(1)
    assert await mailer.send_due() == 1
    assert [m.message["Subject"] for m in relay.inbox.mails] == ["件名"]


async def test_each_failure_waits_twice_as_long_up_to_an_hour() -> None:
    assert [retry_delay(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


async def test_a_mail_that_never_goes_through_is_given_up_with_an_error(
    store: Store, clock: FakeClock, relay: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = mailer_for(store, relay)
    await relay.stop()
    mail_id = await mailer.outbox.enqueue(TO, "件名", "本文")
    with caplog.at_level(logging.WARNING, "callauth.mailer"):
        for _ in range(MAX_ATTEMPTS):
            await mailer.send_due()
            clock.advance(3600)
    mail = await mailer.outbox.get(mail_id)
    assert mail is not None and mail.attempts == MAX_ATTEMPTS and mail.next_attempt_at is None
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert (
        len(errors) == 1 and f"given up after {MAX_ATTEMPTS} attempt(s)" in errors[0].getMessage()
    )
    await relay.start()
    clock.advance(3600)
    assert await mailer.send_due() == 0 and relay.inbox.mails == []


async def test_a_recipient_the_relay_refuses_for_good_is_not_retried(
    store: Store, relay: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    relay.inbox.refuse.add(TO)
    mailer = mailer_for(store, relay)
    mail_id = await mailer.outbox.enqueue(TO, "件名", "本文")
    other = await mailer.outbox.enqueue("taro@example.jp", "件名", "本文")
    with caplog.at_level(logging.WARNING, "callauth.mailer"):
        assert await mailer.send_due() == 1
    mail = await mailer.outbox.get(mail_id)
    assert mail is not None and mail.next_attempt_at is None and "550" in (mail.last_error or "")
    assert TO not in (mail.last_error or "") and TO not in caplog.text
    assert [m.recipients for m in relay.inbox.mails] == [("taro@example.jp",)]
    assert other


async def test_the_running_sender_delivers_a_mail_soon_after_it_is_queued(
    store: Store, relay: SmtpServer
) -> None:
    mailer = mailer_for(store, relay)
    task = asyncio.create_task(mailer.run(poll_seconds=60))  # the queue wakes it, not a poll
    try:
        await asyncio.sleep(0)
        await mailer.outbox.enqueue(TO, "件名", "本文")
        (arrived,) = await relay.inbox.wait_for(1)
        assert arrived.message["Subject"] == "件名"
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_mail_dir_writes_each_mail_as_an_eml_file(
    store: Store, tmp_path: pathlib.Path
) -> None:
    folder = tmp_path / "mail"
    config = Config.from_keys(mail_dir=str(folder), smtp=Address("127.0.0.1", 9))  # no relay there
    transport = transport_for(config)
    assert isinstance(transport, FolderTransport)
    mailer = Mailer(Outbox(store), config.site, store.clock, transport)
    await mailer.outbox.enqueue(TO, "ログインがありました", "本文です。")
    assert await mailer.send_due() == 1
    (written,) = list(folder.iterdir())
    assert written.suffix == ".eml"
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert message["To"] == TO and message["Subject"] == "ログインがありました"
    assert transport.describe() == f"written to {folder}/"


@pytest.mark.parametrize(
    ("settings", "folder"),
    [
        ({"demo": True}, DEMO_MAIL_DIR),
        ({"demo": True, "smtp": Address("relay.example.jp", 587)}, ""),
        ({"demo": True, "smtp_user": "callauth"}, ""),
        ({"demo": True, "mail_dir": "/var/mail/callauth"}, "/var/mail/callauth"),
        ({}, ""),
    ],
)
def test_demo_writes_mails_to_a_folder_unless_a_relay_is_configured(
    settings: dict[str, object], folder: str
) -> None:
    assert mail_folder(Config.from_keys(**settings)) == folder


def test_mail_settings_come_from_the_environment_and_hide_the_password() -> None:
    from callauth.ivr.config import load

    config = load(
        environ={"CALLAUTH_SMTP": "relay.example.jp:587", "CALLAUTH_SMTP_STARTTLS": "yes",
                 "CALLAUTH_SMTP_USER": "callauth", "CALLAUTH_SMTP_PASSWORD": "s3cret-pass"}
    )  # fmt: skip
    assert config.site.smtp == Address("relay.example.jp", 587) and config.site.smtp_starttls
    assert "s3cret-pass" not in repr(config)
    assert transport_for(config).describe() == "SMTP relay relay.example.jp:587, STARTTLS"


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"mail_from": "noreply"}, "mail_from"),
        ({"mail_from": "a@example.jp\r\nBcc: x@example.jp"}, "mail_from"),
        ({"site_url": "example.jp"}, "site_url"),
        ({"smtp": "relay.example.jp"}, "smtp: "),
    ],
)
def test_bad_mail_settings_are_refused_by_name(settings: dict[str, str], words: str) -> None:
    from callauth.ivr.config import ConfigError, load

    with pytest.raises(ConfigError, match=words):
        load(flags=settings)
