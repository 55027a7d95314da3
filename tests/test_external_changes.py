"""Changes another process commits reach this process's waiting pages (db/external.py).

Two ``Store`` objects on one file are two connections, as two processes are; the last
test is the real thing: ``callauth-agi`` (a subprocess over pipes) verifies while a
browser's SSE stream on a running ``create_site`` reads the same file.
"""

from __future__ import annotations

import asyncio
import logging
import pathlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callauth.db.external import ExternalChanges
from callauth.db.models import ChallengeEvent, ChallengeState, EndedBy
from callauth.db.store import Store
from callauth.ivr.config import Config
from callauth.site import create_site, store_of
from tests.agi_support import HOLDER_PHONE, add_holder
from tests.store_support import create_on
from tests.test_agi_script import classic_header, run_script
from tests.test_web_verify import next_message, status_of
from tests.web_support import login, seed_holder

Client = TestClient[Any, Any]


@pytest.fixture
async def other(db_path: str, store: Store) -> AsyncIterator[Store]:
    """A second connection to the file of ``store``: another process."""
    other = await Store.open(db_path)
    try:
        yield other
    finally:
        await other.close()


async def waiting(store: Store, number: str = "+81120111222") -> int:
    holder = await add_holder(store, f"h{number[-3:]}")
    return (await create_on(store, holder.id, f"s{number}", HOLDER_PHONE, number, 120)).id


async def drain(subscription: Any) -> list[ChallengeEvent]:
    found = []
    while subscription._events:
        found.append(await subscription.get())
    return found


async def test_a_change_committed_by_another_connection_is_published(store, other) -> None:
    challenge_id = await waiting(store)
    watcher = ExternalChanges(store.transactions, store.events)
    with store.events.subscribe(challenge_id) as subscription:
        await watcher.poll()
        await drain(subscription)  # the first look names every row it has not seen
        assert await other.cancel_challenge(challenge_id, EndedBy.LOGOUT)
        assert await watcher.poll() == 1
        assert await drain(subscription) == [ChallengeEvent(challenge_id, ChallengeState.CANCELLED)]


async def test_own_commits_and_unrelated_ones_publish_nothing(store, other) -> None:
    challenge_id = await waiting(store)
    watcher = ExternalChanges(store.transactions, store.events)
    with store.events.subscribe(challenge_id) as subscription:
        await watcher.poll()
        await drain(subscription)
        # data_version does not move for this connection's own commits: not even a read.
        await store.audit(None, "test", "own write")
        assert await watcher.poll() == 0
        # Another process's write that leaves the listened-to row as it was: no event.
        await waiting(other, "+81120111333")
        assert await watcher.poll() == 0
        assert await drain(subscription) == []


async def test_only_challenges_with_a_listener_are_read_again(store, other) -> None:
    listened, unheard = await waiting(store), await waiting(store, "+81120111333")
    watcher = ExternalChanges(store.transactions, store.events)
    with store.events.subscribe(listened):
        await watcher.poll()
        await other.cancel_challenge(unheard)
        await other.cancel_challenge(listened)
        assert await watcher.poll() == 1
        assert list(watcher._seen) == [listened]


async def test_a_failing_store_is_logged_once_and_watching_goes_on(db_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="callauth.db.external")
    broken = await Store.open(db_path)
    await broken.close()  # every read now fails
    task = asyncio.create_task(ExternalChanges(broken.transactions, broken.events).run(0.01))
    await asyncio.sleep(0.1)
    assert not task.done()
    task.cancel()
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "other processes' changes" in warnings[0].getMessage()


@pytest.fixture
async def browser(
    tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Client:
    """A holder logged in on a running site (real clock), waiting for the call."""
    client = await aiohttp_client(create_site(Config(db=str(tmp_path / "callauth.db"))))
    await seed_holder(store_of(client.app), "yamada", "correct horse", HOLDER_PHONE)
    assert await login(client, "yamada", "correct horse") == (302, "/verify")
    return client


async def test_classic_agi_verification_moves_the_open_page_within_a_second(
    browser: Client, tmp_path: pathlib.Path
) -> None:
    config = tmp_path / "callauth.toml"
    config.write_text(f'db = "{tmp_path / "callauth.db"}"\n', encoding="utf-8")
    number = (await status_of(browser))["auth_number"]
    header = classic_header("fastagi-allowed.txt", agi_extension=number, agi_dnid=number)
    loop = asyncio.get_running_loop()
    async with browser.get("/verify/events") as stream:
        assert (await next_message(stream))["state"] == "pending"
        heard = asyncio.create_task(next_message(stream, wait=30))
        run = await run_script(header, "allowed", "--config", str(config))
        ended = loop.time()
        assert run.returncode == 0 and run.outcome == "verified", run.stderr
        message = await asyncio.wait_for(heard, 1.0)  # at most 1 s after the script ended
        assert message["state"] == "verified"
    latency = loop.time() - ended
    print(f"verified on the page {latency * 1000:.0f} ms after callauth-agi ended")
    assert latency < 1.0
