"""The background work of a running site: every second the store's probe, expiring
challenges whose time is up and settling phone changes; now and then purging expired
sessions and login throttles that hold nothing back; and noticing the classic AGI
script's and other instances' writes (Store.watch_changes) so that waiting pages hear of
them too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from callauth.db.store import Store
from callauth.db.throttles import Throttles
from callauth.ivr.service import VerificationService

logger = logging.getLogger(__name__)

#: expire_due runs every tick so waiting pages hear 'expired' within a second.
TICK_SECONDS = 1.0
PURGE_EVERY_TICKS = 60
#: Throttle rows that hold nothing back any more are removed this often (seconds).
THROTTLE_PURGE_EVERY = 600.0


@contextlib.asynccontextmanager
async def housekeeping(
    store: Store, calls: VerificationService, throttles: Throttles
) -> AsyncIterator[None]:
    """The background tasks while the ``async with`` block lasts."""
    tasks = [
        asyncio.create_task(_chores(store, calls), name="callauth-housekeeping"),
        asyncio.create_task(_purge(throttles), name="callauth-throttle-purge"),
        # Other processes' changes (SQLite: data_version polled; PostgreSQL: LISTEN).
        asyncio.create_task(store.watch_changes(), name="callauth-external-changes"),
    ]
    try:
        yield
    finally:
        for task in reversed(tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _chores(store: Store, calls: VerificationService) -> None:
    ticks = 0
    while True:
        try:
            # The probe finds a store gone bad (or back) even when nobody asks /healthz;
            # while it is bad the chores would only fail, and log it every second.
            if (await store.probe()).ok:
                await store.expire_due()
                await calls.settle_phone_changes()
                if ticks % PURGE_EVERY_TICKS == 0:
                    await store.purge_sessions()
        except Exception as exc:  # keep ticking: a busy database now is fine next second
            logger.warning("housekeeping failed: %r", exc)
        ticks += 1
        await asyncio.sleep(TICK_SECONDS)


async def _purge(throttles: Throttles) -> None:
    while True:
        try:
            removed = await throttles.purge()
            if removed:
                logger.info("forgot %d login throttle rows that hold nothing back", removed)
        except Exception as exc:  # a busy database now is fine next time
            logger.warning("throttle purge failed: %r", exc)
        await asyncio.sleep(THROTTLE_PURGE_EVERY)
