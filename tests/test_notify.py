"""Telling the holder by mail: what arrives at a real SMTP server, and what never blocks."""

from __future__ import annotations

import asyncio
import logging
import pathlib
import re
from collections.abc import Awaitable, Callable

import pytest

from callauth.db.email_confirmations import EmailConfirmations
from callauth.db.models import Holder
from callauth.db.outbox import Mail, Outbox
from callauth.db.store import Store
from callauth.ivr.config import Config
from callauth.ivr.notify import Notifier
from callauth.mailer import Mailer, SmtpTransport
from callauth.site import create_site, outbox_of, store_of
from tests.conftest import START, FakeClock
from tests.phone_change_support import (
    Client,
    apply_for,
    change_id_of,
    place_call,
    seed_with_contracts,
    submit_change,
    verified_login,
)
from tests.smtp_support import SmtpServer
from tests.web_support import seed_holder

ADDRESS = "taro@example.jp"


async def confirmed_holder(store: Store) -> Holder:
    holder = await seed_holder(store)  # 山田 太郎, yamada, 090-1234-5678, MS-000001
    assert await EmailConfirmations(store).mark_confirmed(holder.id, "test")
    confirmed = await store.holder(holder.id)
    assert confirmed is not None
    return confirmed


def personal_data(holder: Holder) -> list[str]:
    """What a notice must never carry (the masked number aside)."""
    return [holder.name, holder.kana, holder.login_id, holder.birth_date, "MS-000001",
            "09012345678", "9012345678", "1234-5678", "090-1234", ADDRESS]  # fmt: skip


async def test_the_login_notice_arrives_with_the_masked_number_and_nothing_more_personal(
    store: Store, relay: SmtpServer
) -> None:
    holder = await confirmed_holder(store)
    config = Config.from_keys(smtp=relay.address)
    assert await Notifier(store, config.site).login_verified(holder, START) is not None
    assert (
        await Mailer(Outbox(store), config.site, store.clock, SmtpTransport(config.site)).send_due()
        == 1
    )
    (arrived,) = relay.inbox.mails
    assert arrived.recipients == (ADDRESS,)
    assert arrived.message["Subject"] == "【みらい少額短期保険】ログインがありました"
    body = arrived.body
    assert "***-****-5678" in body and "（日本時間）" in body and "0120-000-000" in body
    text = body + str(arrived.message["Subject"])
    assert [item for item in personal_data(holder) if item in text] == []
    assert not re.search(r"\d{6,}", body)  # no full phone number, no policy number


async def test_no_mail_goes_to_an_address_that_was_never_confirmed(store: Store) -> None:
    holder = await seed_holder(store)  # has an email, never proven by a code
    notifier = Notifier(store, Config().site)
    assert await notifier.login_verified(holder.id, START) is None
    assert await notifier.phone_changed(holder.id, "+819012345678", "+818098765432", START) is None
    assert await Outbox(store).due(10) == []


async def test_with_mail_off_no_notice_is_queued(store: Store) -> None:
    holder = await confirmed_holder(store)
    assert (
        await Notifier(store, Config.from_keys(mail_enabled=False).site).login_verified(
            holder, START
        )
        is None
    )
    assert await Outbox(store).due(10) == []


async def test_a_notifier_that_fails_logs_it_and_never_raises(
    db_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = await Store.open(db_path)
    holder = await confirmed_holder(store)
    await store.close()  # the database is gone: queuing fails
    notifier = Notifier(store, Config().site)
    with caplog.at_level(logging.ERROR, "callauth.ivr.notify"):
        assert await notifier.login_verified(holder, START) is None
        assert await notifier.phone_changed(holder.id, None, "+818098765432", START) is None
    assert len(caplog.records) == 2 and ADDRESS not in caplog.text


@pytest.fixture
async def client(
    tmp_path: pathlib.Path,
    clock: FakeClock,
    relay: SmtpServer,
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> Client:
    config = Config.from_keys(db=str(tmp_path / "callauth.db"), smtp=relay.address)
    client = await aiohttp_client(create_site(config, clock=clock))
    holder, *_ = await seed_with_contracts(client)
    assert await EmailConfirmations(store_of(client.app)).mark_confirmed(holder.id, "test")
    return client


async def test_a_phone_change_is_mailed_and_a_dead_relay_never_holds_up_the_call(
    client: Client, clock: FakeClock, relay: SmtpServer
) -> None:
    await relay.stop()  # the relay is down for the whole change
    config = Config.from_keys(smtp=relay.address)
    sender = Mailer(outbox_of(client.app), config.site, clock, SmtpTransport(config.site))
    task = asyncio.create_task(sender.run(poll_seconds=0.05))
    try:
        await verified_login(client, "yamada", "09012345678")
        contract = (await store_of(client.app).contracts_of(1))[0]
        response = await submit_change(client, contract.id, "insured", "08098765432")
        change_id = change_id_of(response.headers["Location"])
        await apply_for(client, change_id)
        number = (await (await client.get(f"/mypage/changes/{change_id}/status")).json())[
            "auth_number"
        ]
        assert await place_call(client, "08098765432", number) == "verified"
        holder = await store_of(client.app).holder(1)
        assert holder is not None and holder.phone_e164 == "+818098765432"  # done, mail or not
        # Mail 1 is the login's notice, mail 2 the change's: both kept, to be retried.
        mail = await wait_attempted(outbox_of(client.app), 2)
        assert mail.sent_at is None and mail.last_error
        await relay.start()
        clock.advance(30)  # the first retry is due
        mails = await relay.inbox.wait_for(2)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    subjects = sorted(str(m.message["Subject"]) for m in mails)
    assert any("ログインがありました" in s for s in subjects)
    (arrived,) = [m for m in mails if "電話番号が変更されました" in str(m.message["Subject"])]
    assert "変更前の電話番号：***-****-5678" in arrived.body
    assert "変更後の電話番号：***-****-5432" in arrived.body


async def wait_attempted(outbox: Outbox, mail_id: int = 1) -> Mail:
    """Mail ``mail_id`` once the sender has tried it (the sender runs in the background)."""
    async with asyncio.timeout(10):
        while True:
            mail = await outbox.get(mail_id)
            if mail is not None and mail.attempts >= 1:
                return mail
            await asyncio.sleep(0.01)
