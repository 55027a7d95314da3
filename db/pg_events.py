"""Challenge changes committed by OTHER instances on the same PostgreSQL, told to our pages.

The trigger in db/migrations/postgresql/notify.sql NOTIFYs every committed change of a
challenge as "id:kind". Each instance LISTENs once, on a connection of its own on the main
loop, and publishes what it hears to its own waiting pages (db/events.py). Its own
changes it has already published as it made them: a notification sent by one of its own
pool's connections is skipped. A LISTEN connection that is lost (the server restarted,
the network broke) is opened again; notifications sent meanwhile are gone, so once it
listens (again, or for the first time) every waiting page is told to re-read its
challenge ("reread"), and no verification is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Set

import asyncpg

from callauth.db.events import ChallengeEvents
from callauth.db.models import ChallengeEvent, EventKind

logger = logging.getLogger(__name__)

CHANNEL = "callauth_challenge"
#: The LISTEN connection's name in pg_stat_activity.
APPLICATION_NAME = "callauth-listen"
#: How often a quiet LISTEN connection is asked whether it is still there.
CHECK_SECONDS = 2.0
RETRY_SECONDS = (0.1, 0.25, 0.5, 1.0)


class PgListener:
    def __init__(self, url: str, events: ChallengeEvents, own_pids: Set[int]) -> None:
        self._url = url
        self._events = events
        self._own = own_pids
        #: Set once a LISTEN is in place (tests wait for it).
        self.listening = asyncio.Event()
        self._tries = 0

    def _heard(self, conn: object, pid: int, channel: str, payload: str) -> None:
        if pid in self._own:
            return
        challenge_id, _, kind = payload.partition(":")
        if challenge_id.isdigit():
            self._events.publish(ChallengeEvent.named(int(challenge_id), kind))

    def _reread_all(self) -> None:
        for challenge_id in self._events.challenge_ids():
            # After the LISTEN connection was lost, every waiting page reads again.
            self._events.publish(ChallengeEvent(challenge_id, EventKind.REREAD))

    async def _listen_once(self, lost: bool) -> None:
        conn = await asyncpg.connect(
            self._url, timeout=5, server_settings={"application_name": APPLICATION_NAME}
        )
        closed = asyncio.Event()
        conn.add_termination_listener(lambda _conn: closed.set())
        try:
            await conn.add_listener(CHANNEL, self._heard)
            if lost:
                logger.info("listening for other instances' changes again")
            # Only now, and after the first LISTEN too (a page may have subscribed before
            # it): what was committed unheard is read again, so nothing is missed.
            self._reread_all()
            self.listening.set()
            self._tries = 0
            while True:  # a quiet connection may be dead without a word: ask it now and then
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(closed.wait(), CHECK_SECONDS)
                if closed.is_set():
                    raise ConnectionError("the LISTEN connection was closed")
                await conn.fetchval("SELECT 1", timeout=CHECK_SECONDS)
        finally:
            self.listening.clear()
            conn.terminate()

    async def run(self) -> None:
        """Listen until cancelled, connecting again after every loss."""
        lost = False
        while True:
            try:
                await self._listen_once(lost)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                if self._tries == 0:
                    logger.warning("lost the LISTEN connection (%r); connecting again", exc)
                lost = True
                self._tries += 1
                await asyncio.sleep(RETRY_SECONDS[min(self._tries, len(RETRY_SECONDS)) - 1])
