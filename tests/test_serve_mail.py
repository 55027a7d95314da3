"""`callauth serve` runs the mail sender: it says at start where mail goes, and sends."""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callauth.ivr.config import Address, Config
from callauth.serve import build_app
from callauth.site import outbox_of, store_of
from tests.smtp_support import SmtpServer

Client = TestClient[Any, Any]
NO_AGI = Address("127.0.0.1", 0)


async def test_demo_names_the_folder_it_writes_mails_to_and_writes_them(
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> None:
    monkeypatch.chdir(tmp_path)
    config = Config.from_keys(db=str(tmp_path / "callauth.db"), agi=NO_AGI, demo=True)
    client = await aiohttp_client(build_app(config))
    assert f"Mail: written to {tmp_path / 'demo-mail'}/" in capsys.readouterr().out
    demo = await store_of(client.app).holder_by_login("demo")
    assert demo is not None and demo.email_confirmed_at is not None  # its login mail shows
    await outbox_of(client.app).enqueue("taro@example.jp", "件名", "本文")
    folder = tmp_path / "demo-mail"
    for _ in range(500):  # the sender wakes on the new mail; wait for the file, no timing
        if folder.exists() and any(folder.glob("*.eml")):
            break
        await asyncio.sleep(0.01)
    assert len(list(folder.glob("*.eml"))) == 1


async def test_a_served_site_sends_queued_mail_to_the_configured_relay(
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> None:
    relay = SmtpServer()
    await relay.start()
    try:
        config = Config.from_keys(db=str(tmp_path / "callauth.db"), agi=NO_AGI, smtp=relay.address)
        client = await aiohttp_client(build_app(config))
        assert f"Mail: SMTP relay {relay.address}" in capsys.readouterr().out
        await outbox_of(client.app).enqueue("taro@example.jp", "件名", "本文")
        (arrived,) = await relay.inbox.wait_for(1)
        assert arrived.recipients == ("taro@example.jp",)
    finally:
        await relay.stop()


async def test_with_mail_off_the_sender_does_not_run(
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> None:
    config = Config.from_keys(db=str(tmp_path / "callauth.db"), agi=NO_AGI, mail_enabled=False)
    await aiohttp_client(build_app(config))
    assert "Mail: off" in capsys.readouterr().out
